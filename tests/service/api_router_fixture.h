// A StoreTest whose requests go through the service's own route table and router (make_api +
// Router::dispatch) on the fixture's real SQLite file, with a clock the test moves.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>

#include "attestd/result/signing_key.h"
#include "attestd/server/router.h"
#include "attestd/service/service.h"
#include "store_fixture.h"

namespace attestd::testing {

inline constexpr int64_t kApiClockStart = 1'750'000'000;  // seconds since the epoch

class ApiRouterTest : public store::testing::StoreTest {
 protected:
  void TearDown() override {
    router_.reset();
    shared_store_.reset();
  }

  // (Re)builds the API over the fixture's store with `options`.
  void build(service::ServiceOptions options) {
    router_.reset();
    shared_store_ = std::shared_ptr<store::Store>(store_.get(), [](store::Store*) {});
    auto keys = result::load_or_create_key_set(dir_.path());
    ASSERT_TRUE(keys) << keys.error().message;
    service::ServiceDeps deps;
    deps.store = shared_store_;
    deps.keys = std::make_shared<const result::KeySet>(std::move(*keys));
    deps.clock = [this] { return std::chrono::system_clock::time_point(std::chrono::milliseconds(now_ms_.load())); };
    auto api = service::make_api(deps, options);
    ASSERT_TRUE(api) << api.error();
    auto router = server::Router::create(std::move(api->routes), {.authenticator = api->authenticator,
                                                                  .auth_failure_observer = api->auth_failure_observer});
    ASSERT_TRUE(router) << router.error();
    router_ = std::make_unique<server::Router>(std::move(*router));
  }

  store::Timestamp now() const { return store::Timestamp(std::chrono::milliseconds(now_ms_.load())); }
  void advance(std::chrono::milliseconds d) { now_ms_ += d.count(); }

  std::atomic<int64_t> now_ms_{kApiClockStart * 1000};
  int request_counter_ = 0;
  std::shared_ptr<store::Store> shared_store_;
  std::unique_ptr<server::Router> router_;
};

}  // namespace attestd::testing
