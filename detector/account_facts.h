#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/event.h"
#include "common/interner.h"
#include "common/result.h"
#include "common/time.h"

namespace trailsight::detector {

// What is known of each account across its regions (DESIGN.md "Baseline", novelty; "Delivery
// and state"): when its first record was seen, for each region the last UTC day it wrote
// there (a record that is not read-only, failed or not), and for each sensitive call (an
// eventSource and eventName the caller of Observe marks as such) the last day the account
// made it successfully. An account's regions live on different partitions, and so on
// different instances: the facts learned here (Observe) go to the global table
// (app/global_table.h), and those learned elsewhere come back from it (Merge). Merging keeps
// the earliest first sighting and the latest day of each region and call, so instances agree
// whatever order the facts reach them in.
//
// As a global-table record: the account is the key; the value (Encode) is a version byte,
// the first sighting in seconds since the epoch, each region with its day, then (version 2)
// each sensitive call's eventSource and eventName with its day. An account without
// sensitive calls is written as version 1, which instances that predate version 2 read;
// Merge reads both.
//
// Memory: an entry per account, per (account, region) written in and per (account, sensitive
// call) made; Observe allocates only for an account, a region or a call it has not seen. At
// most `max_accounts` accounts are learned (records forging account IDs by the million must
// not grow it, nor the global table, without bound); a new account beyond it is counted in
// refused() and stays unknown (young). At most kMaxSensitiveCalls calls are kept per account:
// beyond it, the call with the oldest day gives way to a newer one (it is the one nearest to
// leaving any window), so an account at the bound that keeps rotating through more calls may
// see one again as new.
// Thread safety: none; the pipeline's thread owns it.
class AccountFacts {
 public:
  using Day = std::int32_t;  // days since 1970-01-01, UTC

  // What was known of an event's account, and of it in the event's region, before Observe
  // took the event in.
  struct Before {
    std::optional<common::Seconds> first_seen;  // the account's first sighting
    std::optional<Day> last_write_day;          // its last write in the region
    // Its last successful call of the event's API; looked up only for a successful call that
    // Observe was told is sensitive.
    std::optional<Day> last_sensitive_call_day;
  };

  static constexpr std::size_t kMaxAccounts = 100'000;
  static constexpr std::size_t kMaxSensitiveCalls = 64;  // per account; see the class comment

  // `interner` resolves the events' symbols and interns merged names; it must outlive this.
  explicit AccountFacts(common::StringInterner& interner, std::size_t max_accounts = kMaxAccounts)
      : interner_(interner), max_accounts_(max_accounts) {}

  // Takes one event in and returns what was known before it. One without an account, or
  // whose account or region the interner refused (its overflow symbol), teaches nothing.
  // `sensitive_call`: the event's (eventSource, eventName) is one whose last successful day
  // is kept; the caller decides which are (NoveltyRules), and a failed call (errorCode set)
  // teaches nothing about it.
  Before Observe(const common::Event& event, bool sensitive_call = false);

  // Applies facts of `account` from the global table (`value` as Encode writes it); fails,
  // changing nothing, on a value it cannot read. A merge changes no account's "changed" mark:
  // the table holds these facts already.
  common::Status Merge(std::string_view account, std::string_view value);

  // Calls `visit(account, value)` for each account whose facts changed since the last call
  // (or MarkAllChanged), and forgets that they changed.
  template <class Visit>
  void TakeChanged(Visit&& visit) {
    for (const std::uint32_t index : changed_) {
      accounts_[index].changed = false;
      visit(interner_.Resolve(accounts_[index].account), Encode(accounts_[index]));
    }
    changed_.clear();
  }
  // Every account counts as changed (what was taken last was not written).
  void MarkAllChanged();

  std::size_t accounts() const { return accounts_.size(); }
  // New accounts not learned because max_accounts were known.
  std::uint64_t refused() const { return refused_; }
  // The account's first sighting, if it was seen.
  std::optional<common::Seconds> FirstSeen(std::string_view account) const;
  // The last day the account wrote in the region, if it did.
  std::optional<Day> LastWriteDay(std::string_view account, std::string_view region) const;
  // The last day the account successfully made the sensitive call, if it did.
  std::optional<Day> LastSensitiveCallDay(std::string_view account, std::string_view source,
                                          std::string_view name) const;

  static Day DayOf(common::Seconds time);

 private:
  struct RegionWrite {
    common::Symbol region = common::kNoSymbol;
    Day day = 0;
  };
  struct SensitiveCall {
    common::Symbol source = common::kNoSymbol;
    common::Symbol name = common::kNoSymbol;
    Day day = 0;
  };
  struct Account {
    common::Symbol account = common::kNoSymbol;
    common::Seconds first_seen{};
    std::vector<RegionWrite> regions;  // a handful per account: searched in order
    // A few per account, at most kMaxSensitiveCalls: searched in order.
    std::vector<SensitiveCall> sensitive_calls;
    bool changed = false;
  };

  // The account's entry, added (first seen at `time`) when new; null when it is new and
  // max_accounts are known.
  Account* Find(common::Symbol account, common::Seconds time, bool& added);
  const Account* Lookup(std::string_view account) const;
  void MarkChanged(std::uint32_t index);
  // Keeps `day` as the account's day of the call unless it knows a later one; at the bound,
  // the call with the oldest day gives way to a newer one. Returns whether anything changed.
  bool KeepSensitiveCall(Account& account, common::Symbol source, common::Symbol name, Day day);
  std::string Encode(const Account& account) const;

  common::StringInterner& interner_;  // outlives this; see the constructor
  const std::size_t max_accounts_;
  std::uint64_t refused_ = 0;
  std::vector<Account> accounts_;
  std::unordered_map<common::Symbol, std::uint32_t> index_;  // account symbol -> accounts_
  std::vector<std::uint32_t> changed_;                       // accounts_ indexes, each once
};

}  // namespace trailsight::detector
