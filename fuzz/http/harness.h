// The HTTP request-path fuzz harness (issue 11): one input becomes a POST /v1/attestations from
// an attester, dispatched by the real router (authentication included) to the real attestation
// handler, with real quote and event-log verification, GPU report verification, appraisal against
// the example policies of golden-values/examples, EAR signing and key release by the real broker.
// Only the database is replaced, by StubStore, so that an input costs microseconds and memory
// stays flat over millions of inputs.
//
// Input: byte 0 chooses the encodings (bit 0: body is application/cbor, else application/json;
// bit 1: the client accepts application/cbor answers); the rest is the body.
//
// The world every input meets (reset before each one): tenant with one attester token; hosts
// (fixed_inputs.h AKs)
//   vm-pcr        RSA AK, labels image=vmboot boot=sb-shim-grub         → policy vmboot-secure-boot
//   vm-events     ECC AK, labels image=vmboot boot=sb-shim-grub-events  → vmboot-secure-boot-events
//   vm-gpu        RSA AK, labels role=gpu-node                          → h100-node
//   vm-nopolicy   RSA AK, no labels                                     → no policy (verdict none)
//   vm-untrusted  RSA AK, credential activation never done
// and one live challenge per host, "c-<host>", plus "c-vm-pcr-expired" and "c-vm-pcr-used", all
// with the nonce kNonce; keys "vmboot-disk-key" (both vmboot policies, label image=vmboot) and
// "gpu-only-key" (the same, GPU required).
//
// Properties checked on every input (a violation aborts, so libFuzzer keeps the input):
//   - no 5xx: an exception in a handler or a store call off the attestation path is a bug;
//   - the challenge is consumed exactly when the answer is 200, never otherwise;
//   - a 200 carries a known verdict and an EAR that verifies under the service's keys with the
//     challenge's nonce; released keys only with an affirming verdict and a bound TEE key;
//   - every key decision (release or refusal) is in the audit log: rows == decisions;
//   - every problem answer names a reason id.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <span>
#include <string>

namespace attestd::fuzz_http {

// What one input got, in one line: "200 affirming vmboot-disk-key=released",
// "200 contraindicated [tpm.quote.nonce_mismatch]" or "409 attestation.challenge_consumed".
// Seed expectations (seed_outcomes.tsv) compare it.
struct Outcome {
  int status = 0;
  std::string verdict;                      // 200 only
  std::set<std::string> reasons;            // 200 only: the appraisal's reason ids
  std::string problem_id;                   // first reason id of a problem answer
  std::map<std::string, std::string> keys;  // name -> "released" or the refusal's reason id

  [[nodiscard]] std::string summary() const;
};

class Harness {
 public:
  // The process's harness, set up on first use (keys, documents, broker). Aborts if setup fails:
  // a harness that cannot reach the handler would only fuzz the refusal of a missing store.
  static Harness& instance();

  // Runs one input and checks the properties above.
  Outcome run(std::span<const uint8_t> input);

  // Inputs run and how many got each verdict, since the process started.
  struct Counts {
    std::atomic<uint64_t> inputs{0}, affirming{0}, warning{0}, contraindicated{0}, none{0}, released{0};
  };
  [[nodiscard]] const Counts& counts() const { return counts_; }

  ~Harness();
  Harness(const Harness&) = delete;
  Harness& operator=(const Harness&) = delete;

 private:
  Harness();
  struct World;
  std::unique_ptr<World> world_;
  Counts counts_;
};

}  // namespace attestd::fuzz_http
