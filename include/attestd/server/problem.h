// RFC 9457 problem details: the one shape of every error attestd answers (DESIGN.md §3).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "attestd/evidence/error.h"

namespace attestd::server {

// One reason of a failure, with the stable id of the evidence core or of the service
// ("http.body.too_large", "tpm.quote.nonce_mismatch", ...).
struct ProblemReason {
  std::string id;
  std::string message;

  friend bool operator==(const ProblemReason&, const ProblemReason&) = default;
};

inline ProblemReason to_reason(const evidence::Error& e) { return {std::string(e.id), e.message}; }

// An error answer. `type` is a URI naming the kind of problem; "about:blank" (RFC 9457 §4.2.1)
// means "nothing beyond the HTTP status", and then `title` should be the status phrase.
struct Problem {
  int status = 500;
  std::string type = "about:blank";
  std::string title;
  std::string detail;
  std::vector<ProblemReason> reasons;

  // Shorthands with type about:blank, the status phrase as title and one reason.
  static Problem make(int status, std::string reason_id, std::string detail);
  static Problem bad_request(std::string reason_id, std::string detail) {
    return make(400, std::move(reason_id), std::move(detail));
  }
  static Problem not_found(std::string reason_id, std::string detail) {
    return make(404, std::move(reason_id), std::move(detail));
  }
  static Problem conflict(std::string reason_id, std::string detail) {
    return make(409, std::move(reason_id), std::move(detail));
  }
  static Problem unprocessable(std::string reason_id, std::string detail) {
    return make(422, std::move(reason_id), std::move(detail));
  }
  static Problem internal(std::string reason_id, std::string detail) {
    return make(500, std::move(reason_id), std::move(detail));
  }
};

// The reason phrase of an HTTP status ("Not Found"); "Unknown" for codes it does not know.
std::string_view status_phrase(int status);

// The application/problem+json body: {type, title, status, detail, reasons:[{id,message}],
// request_id}; detail and reasons are left out when empty, request_id when empty.
std::string render_problem_json(const Problem& problem, std::string_view request_id);

}  // namespace attestd::server
