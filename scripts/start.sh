#!/usr/bin/env bash
# Sets up, builds and runs the main job. Until the attestd service lands, that is attestctl
# verifying the sample evidence shipped in the repository (samples/).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
scripts/verify-samples.sh build/cli/attestctl
