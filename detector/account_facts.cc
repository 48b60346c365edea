#include "detector/account_facts.h"

#include <algorithm>
#include <stdexcept>

#include "detector/state_encoding.h"

namespace trailsight::detector {
namespace {

constexpr char kVersion = 1;  // the value's first byte

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

void AccountFacts::MarkChanged(std::uint32_t index) {
  if (accounts_[index].changed) return;
  accounts_[index].changed = true;
  changed_.push_back(index);
}

AccountFacts::Before AccountFacts::Observe(const common::Event& event) {
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
  try {
    if (value.empty() || value[0] != kVersion) throw std::invalid_argument("unknown version");
    state_encoding::BinaryIn in(value.substr(1));
    first_seen = common::Seconds{std::chrono::seconds{in.Int()}};
    const std::uint64_t count = in.UInt();
    for (std::uint64_t i = 0; i < count; ++i) {
      std::string region = in.Text();
      regions.emplace_back(std::move(region), static_cast<Day>(in.Int()));
    }
    if (!in.AtEnd()) throw std::invalid_argument("bytes after the last region");
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
  return common::Ok();
}

void AccountFacts::MarkAllChanged() {
  for (std::uint32_t index = 0; index < accounts_.size(); ++index) MarkChanged(index);
}

std::string AccountFacts::Encode(const Account& account) const {
  state_encoding::BinaryOut out;
  out.bytes().push_back(kVersion);
  out.Int(account.first_seen.time_since_epoch().count());
  out.Array(account.regions.size());
  for (const RegionWrite& write : account.regions) {
    out.Text(interner_.Resolve(write.region));
    out.Int(write.day);
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

}  // namespace trailsight::detector
