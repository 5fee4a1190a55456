// The role table of issue 8: for every route attestd serves, the roles it admits, how its object
// is named in the request, and what the caller gets for its own object, for another tenant's
// object and for one that does not exist. The matrix test checks the router against this table
// in both directions and then drives every route x caller x object through the real server.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "access_world.h"

namespace attestd::access_test {

// Which object a request names.
enum class Variant {
  own,            // the caller's tenant's object
  other,          // the other tenant's object, named exactly as that tenant names it
  missing,        // an identifier no tenant has, shaped like the others
  other_child,    // nested routes: the caller's own parent with the other tenant's child object
  missing_child,  // nested routes: the caller's own parent with a child no tenant has
};
std::string_view to_string(Variant v);

// An expected answer: status and the first reason id ("" for a success, which has no problem).
struct Expect {
  int status = 0;
  std::string reason;
};

struct RouteSpec {
  server::Method method = server::Method::get;
  std::string pattern;
  // Who the route admits; compared with the router's own declaration.
  server::Access access;
  // How the object is named ("path {id}: host id"); "-" for routes without one.
  std::string object;
  // The objects tried: {own} for routes without an object, else own, other, missing (and the
  // child variants for nested objects).
  std::vector<Variant> variants;
  // Builds the request for one variant, creating fresh objects where the route consumes them.
  std::function<Call(World&, Variant)> call;
  // What an admitted caller gets for its own object, and for other/missing (which must also be
  // equal to each other after normalisation).
  Expect own;
  Expect absent;
  // Nested routes: what the caller's own parent with another's or a missing child answers.
  std::optional<Expect> absent_child{};
  // The restricted attester's own object is outside its host list: it must get `absent`.
  bool host_restricted = false;
  // Routes whose handler authenticates by itself (public for the router): the expectation of one
  // caller and variant, overriding the rules above.
  std::function<Expect(Who, Variant)> expect_public{};
  // Extra assertions on a successful answer for the own object.
  std::function<void(World&, const HttpResponse&)> check_own{};
};

// The table, one entry per route.
const std::vector<RouteSpec>& role_table();

// The expected answer of `spec` for `who` and `variant`, from the router's rules (401 without or
// with a bad token, 403 for a role not admitted, both before any lookup) and the table.
Expect expected(const RouteSpec& spec, Who who, Variant variant);

}  // namespace attestd::access_test
