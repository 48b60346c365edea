#include "detector/account_facts.h"

#include <algorithm>
#include <stdexcept>

#include "detector/state_encoding.h"

namespace trailsight::detector {
namespace {

// The value's first byte. Version 2 adds the sensitive calls after the regions; an account
// without any is still written as version 1, which instances that predate version 2 read.
constexpr char kVersion1 = 1;
constexpr char kVersion2 = 2;

}  // namespace

AccountFacts::Day AccountFacts::DayOf(common::Seconds time) {
  return static_cast<Day>(std::chrono::floor<std::chrono::days>(time).time_since_epoch().count());
}

AccountFacts::Account* AccountFacts::Find(common::Symbol account, common::Seconds time,
                                          bool& added) {
  added = false;
  if (auto it = index_.find(account); it != index_.end()) return &accounts_[it->second];
  if (accounts_.size() >= max_accounts_) {
    ++refused_;
    return nullptr;
  }
  index_.emplace(account, static_cast<std::uint32_t>(accounts_.size()));
  Account& entry = accounts_.emplace_back();
  entry.account = account;
  entry.first_seen = time;
  added = true;
  return &entry;
}

bool AccountFacts::KeepSensitiveCall(Account& account, common::Symbol source, common::Symbol name,
                                     Day day) {
  std::vector<SensitiveCall>& calls = account.sensitive_calls;
  auto known = std::find_if(calls.begin(), calls.end(), [&](const SensitiveCall& call) {
    return call.source == source && call.name == name;
  });
  if (known != calls.end()) {
    if (day <= known->day) return false;
    known->day = day;
    return true;
  }
  if (calls.size() < kMaxSensitiveCalls) {
    calls.push_back({source, name, day});
    return true;
  }
  auto oldest = std::min_element(
      calls.begin(), calls.end(),
      [](const SensitiveCall& a, const SensitiveCall& b) { return a.day < b.day; });
  if (day <= oldest->day) return false;
  *oldest = {source, name, day};
  return true;
}

void AccountFacts::MarkChanged(std::uint32_t index) {
  if (accounts_[index].changed) return;
  accounts_[index].changed = true;
  changed_.push_back(index);
}

AccountFacts::Before AccountFacts::Observe(const common::Event& event, bool sensitive_call) {
  Before before;
  // The interner's overflow symbol stands for every name it refused: not one account.
  if (event.account == common::kNoSymbol || event.account == interner_.overflow_symbol()) {
    return before;
  }
  bool added = false;
  Account* found = Find(event.account, event.time, added);
  if (found == nullptr) return before;
  Account& account = *found;
  const auto index = static_cast<std::uint32_t>(&account - accounts_.data());
  if (added) {
    MarkChanged(index);
  } else {
    before.first_seen = account.first_seen;
    if (event.time < account.first_seen) {
      account.first_seen = event.time;
      MarkChanged(index);
    }
  }
  // A sensitive call counts whatever its region, and a read (GetFederationToken) as well.
  if (sensitive_call && event.error_code == common::kNoSymbol &&
      event.source != common::kNoSymbol && event.name != common::kNoSymbol &&
      event.source != interner_.overflow_symbol() && event.name != interner_.overflow_symbol()) {
    for (const SensitiveCall& call : account.sensitive_calls) {
      if (call.source == event.source && call.name == event.name) {
        before.last_sensitive_call_day = call.day;
        break;
      }
    }
    if (KeepSensitiveCall(account, event.source, event.name, DayOf(event.time))) {
      MarkChanged(index);
    }
  }
  if (event.read_only || event.region == common::kNoSymbol ||
      event.region == interner_.overflow_symbol()) {
    return before;
  }
  const Day day = DayOf(event.time);
  auto region =
      std::find_if(account.regions.begin(), account.regions.end(),
                   [&](const RegionWrite& write) { return write.region == event.region; });
  if (region == account.regions.end()) {
    account.regions.push_back({event.region, day});
    MarkChanged(index);
    return before;
  }
  before.last_write_day = region->day;
  if (day > region->day) {
    region->day = day;
    MarkChanged(index);
  }
  return before;
}

common::Status AccountFacts::Merge(std::string_view account_name, std::string_view value) {
  common::Seconds first_seen{};
  std::vector<std::pair<std::string, Day>> regions;
  struct NamedCall {
    std::string source;
    std::string name;
    Day day = 0;
  };
  std::vector<NamedCall> calls;
  try {
    if (value.empty() || (value[0] != kVersion1 && value[0] != kVersion2)) {
      throw std::invalid_argument("unknown version");
    }
    state_encoding::BinaryIn in(value.substr(1));
    first_seen = common::Seconds{std::chrono::seconds{in.Int()}};
    const std::uint64_t count = in.UInt();
    for (std::uint64_t i = 0; i < count; ++i) {
      std::string region = in.Text();
      regions.emplace_back(std::move(region), static_cast<Day>(in.Int()));
    }
    if (value[0] == kVersion2) {
      const std::uint64_t call_count = in.UInt();
      for (std::uint64_t i = 0; i < call_count; ++i) {
        NamedCall& call = calls.emplace_back();
        call.source = in.Text();
        call.name = in.Text();
        call.day = static_cast<Day>(in.Int());
      }
    }
    if (!in.AtEnd()) throw std::invalid_argument("bytes after the last fact");
  } catch (const std::exception& error) {
    return common::Error{common::ErrorCode::kInvalidArgument,
                         "facts of account " + std::string(account_name) + ": " + error.what()};
  }
  const common::Symbol symbol = interner_.Intern(account_name);
  if (symbol == common::kNoSymbol) return common::Ok();
  bool added = false;
  Account* found = Find(symbol, first_seen, added);
  if (found == nullptr) return common::Ok();  // counted in refused()
  Account& account = *found;
  account.first_seen = std::min(account.first_seen, first_seen);
  for (const auto& [name, day] : regions) {
    const common::Symbol region = interner_.Intern(name);
    auto known = std::find_if(account.regions.begin(), account.regions.end(),
                              [&](const RegionWrite& write) { return write.region == region; });
    if (known == account.regions.end()) {
      account.regions.push_back({region, day});
    } else {
      known->day = std::max(known->day, day);
    }
  }
  for (const NamedCall& call : calls) {
    const common::Symbol source = interner_.Intern(call.source);
    const common::Symbol name = interner_.Intern(call.name);
    // A name the interner refused is no call's: its overflow symbol stands for many.
    if (source == common::kNoSymbol || name == common::kNoSymbol ||
        source == interner_.overflow_symbol() || name == interner_.overflow_symbol()) {
      continue;
    }
    KeepSensitiveCall(account, source, name, call.day);
  }
  return common::Ok();
}

void AccountFacts::MarkAllChanged() {
  for (std::uint32_t index = 0; index < accounts_.size(); ++index) MarkChanged(index);
}

std::string AccountFacts::Encode(const Account& account) const {
  state_encoding::BinaryOut out;
  out.bytes().push_back(account.sensitive_calls.empty() ? kVersion1 : kVersion2);
  out.Int(account.first_seen.time_since_epoch().count());
  out.Array(account.regions.size());
  for (const RegionWrite& write : account.regions) {
    out.Text(interner_.Resolve(write.region));
    out.Int(write.day);
  }
  if (!account.sensitive_calls.empty()) {
    out.Array(account.sensitive_calls.size());
    for (const SensitiveCall& call : account.sensitive_calls) {
      out.Text(interner_.Resolve(call.source));
      out.Text(interner_.Resolve(call.name));
      out.Int(call.day);
    }
  }
  return std::move(out.bytes());
}

const AccountFacts::Account* AccountFacts::Lookup(std::string_view account) const {
  auto it = index_.find(interner_.Intern(account));
  return it == index_.end() ? nullptr : &accounts_[it->second];
}

std::optional<common::Seconds> AccountFacts::FirstSeen(std::string_view account) const {
  const Account* entry = Lookup(account);
  if (entry == nullptr) return std::nullopt;
  return entry->first_seen;
}

std::optional<AccountFacts::Day> AccountFacts::LastWriteDay(std::string_view account,
                                                            std::string_view region) const {
  const Account* entry = Lookup(account);
  if (entry == nullptr) return std::nullopt;
  const common::Symbol symbol = interner_.Intern(region);
  for (const RegionWrite& write : entry->regions) {
    if (write.region == symbol) return write.day;
  }
  return std::nullopt;
}

std::optional<AccountFacts::Day> AccountFacts::LastSensitiveCallDay(std::string_view account,
                                                                    std::string_view source,
                                                                    std::string_view name) const {
  const Account* entry = Lookup(account);
  if (entry == nullptr) return std::nullopt;
  const common::Symbol source_symbol = interner_.Intern(source);
  const common::Symbol name_symbol = interner_.Intern(name);
  for (const SensitiveCall& call : entry->sensitive_calls) {
    if (call.source == source_symbol && call.name == name_symbol) return call.day;
  }
  return std::nullopt;
}

}  // namespace trailsight::detector
