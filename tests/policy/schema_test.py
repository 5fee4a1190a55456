#!/usr/bin/env python3
"""The published JSON Schemas (golden-values/schema) accept every example and valid case, refuse every
invalid case except those marked .parser-only, and accept those (the documented gap between the schema
and the parser). Usage: schema_test.py GOLDEN_VALUES_DIR DOCUMENTS_DIR. Runs under Debian's
/usr/bin/python3, whose python3-jsonschema scripts/setup.sh installs; without it the test fails."""
import json
import pathlib
import sys

import jsonschema


def validator(golden: pathlib.Path, kind: str):
    schema = json.loads((golden / "schema" / f"{kind}.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def main() -> int:
    golden, documents = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
    validators = {kind: validator(golden, kind) for kind in ("policy", "reference-set")}
    failures = []
    checked = 0
    for path in sorted((golden / "examples").glob("*.json")):
        kind = "policy" if path.name.startswith("policy-") else "reference-set"
        errors = list(validators[kind].iter_errors(json.loads(path.read_text())))
        checked += 1
        if errors:
            failures.append(f"example {path.name}: {errors[0].message}")
    for kind, v in validators.items():
        for path in sorted((documents / kind).glob("*.json")):
            checked += 1
            invalid = path.with_suffix(".reason").exists()
            parser_only = path.with_suffix(".parser-only").exists()
            errors = list(v.iter_errors(json.loads(path.read_text())))
            if (invalid and not parser_only) and not errors:
                failures.append(f"{kind}/{path.name}: the schema accepts it, the parser refuses it")
            if (not invalid or parser_only) and errors:
                failures.append(f"{kind}/{path.name}: the schema refuses it: {errors[0].message}")
    for f in failures:
        print("FAIL", f)
    print(f"{checked} documents checked, {len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
