#include "sim/traffic.h"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <tuple>

#include "sim/random.h"

namespace trailsight::sim {
namespace {

using std::chrono::days;
using std::chrono::floor;
using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

constexpr seconds kMaxDeliveryDelay{150};

// A raised cosine: 0 outside [from, to] hours, rising smoothly to 1 in the middle.
double Bump(double hour, double from, double to) {
  if (hour <= from || hour >= to) return 0.0;
  return 0.5 * (1.0 - std::cos(2.0 * std::numbers::pi * (hour - from) / (to - from)));
}

bool IsWeekend(common::Day day) {
  const std::chrono::weekday weekday{day};
  return weekday == std::chrono::Saturday || weekday == std::chrono::Sunday;
}

// Returns how long after the call its record is delivered: mostly 10-90 s, up to 150 s.
seconds DeliveryDelay(Rng& rng) {
  if (rng.Chance(0.85)) return seconds{10 + static_cast<int>(rng.Below(81))};
  return seconds{static_cast<int>(rng.Below(kMaxDeliveryDelay.count() + 1))};
}

CallError DrawError(Rng& rng, const ActorSpec& spec, const ApiSpec& api) {
  const double u = rng.Uniform();
  if (u < spec.denied) return CallError::kDenied;
  if (u < spec.denied + spec.throttled) return CallError::kThrottled;
  if (!api.not_found.empty() && u < spec.denied + spec.throttled + spec.not_found) {
    return CallError::kNotFound;
  }
  return CallError::kNone;
}

std::uint64_t Count(auto time_point) {
  return static_cast<std::uint64_t>(time_point.time_since_epoch().count());
}

}  // namespace

bool DeliveredBefore(const Call& a, const Call& b) {
  return std::tie(a.delivery_time, a.stream, a.event_time, a.salt) <
         std::tie(b.delivery_time, b.stream, b.event_time, b.salt);
}

double ShapeFactor(Shape shape, common::Minute local) {
  const common::Day day = floor<days>(local);
  const double hour = static_cast<double>((local - day).count()) / 60.0;
  const bool weekend = IsWeekend(day);
  switch (shape) {
    case Shape::kBusinessHours:
      return (0.02 + 0.98 * Bump(hour, 7.5, 19.5)) * (weekend ? 0.12 : 1.0);
    case Shape::kExtended:
      return (0.08 + 0.92 * Bump(hour, 6.0, 22.0)) * (weekend ? 0.25 : 1.0);
    case Shape::kAppLoad:
      return (0.35 + 0.325 * (1.0 + std::cos(2.0 * std::numbers::pi * (hour - 14.0) / 24.0))) *
             (weekend ? 0.55 : 1.0);
    case Shape::kFlat:
      return 1.0;
  }
  return 1.0;
}

double TrafficModel::ActorRate(std::size_t stream, std::size_t actor, common::Minute minute) const {
  const Stream& s = world_.streams()[stream];
  const Account& account = world_.accounts()[s.account];
  const ActorSpec* spec = account.principals[actor].spec;
  if (spec == nullptr || (spec->home_region_only && s.region != 0)) return 0.0;
  if (minute < account.first_day) return 0.0;
  const common::Minute local = minute + hours{account.utc_offset_hours};
  const double days_elapsed =
      static_cast<double>((minute - world_.options().start).count()) / (24 * 60);
  const double growth = std::exp(account.log_growth_per_day * days_elapsed);
  return spec->per_minute * world_.options().volume * s.scale * growth *
         ShapeFactor(spec->shape, local);
}

double TrafficModel::ApiRate(std::size_t stream, std::size_t api, common::Minute minute) const {
  const Stream& s = world_.streams()[stream];
  if (world_.apis()[api].global && !s.home) return 0.0;
  const Account& account = world_.accounts()[s.account];
  double rate = 0.0;
  for (std::size_t actor = 0; actor < account.principals.size(); ++actor) {
    const Principal& principal = account.principals[actor];
    if (principal.spec == nullptr || principal.cumulative.empty()) continue;
    double weight = 0.0;
    for (std::size_t k = 0; k < principal.api_ids.size(); ++k) {
      if (principal.api_ids[k] != api) continue;
      weight += principal.cumulative[k] - (k == 0 ? 0.0 : principal.cumulative[k - 1]);
    }
    if (weight > 0) rate += ActorRate(stream, actor, minute) * weight / principal.cumulative.back();
  }
  return rate;
}

std::vector<common::Minute> ExtraDeployStarts(const GeneratorOptions& options, int account,
                                              common::Day day) {
  if (options.deploy_day_share <= 0 || IsWeekend(day)) return {};
  Rng rng(DeriveSeed(options.seed, {kDeployTag, static_cast<std::uint64_t>(account), Count(day)}));
  if (!rng.Chance(options.deploy_day_share)) return {};
  // Working hours (UTC) away from the usual 15:00 run, so waves never overlap it.
  static constexpr int kHours[] = {9, 10, 11, 12, 17, 18, 19};
  constexpr std::uint64_t kCount = std::size(kHours);
  const std::uint64_t first = rng.Below(kCount);
  std::vector<common::Minute> starts = {day + hours{kHours[first]} + minutes{rng.Below(50)}};
  if (rng.Chance(0.4)) {
    const std::uint64_t second = (first + 1 + rng.Below(kCount - 1)) % kCount;
    starts.push_back(day + hours{kHours[second]} + minutes{rng.Below(50)});
    std::sort(starts.begin(), starts.end());
  }
  return starts;
}

void TrafficModel::GenerateHour(std::size_t stream, common::Hour hour,
                                std::vector<Call>& out) const {
  Background(stream, hour, out);
  Jobs(stream, hour, out);
  Incidents(stream, hour, out);
}

void TrafficModel::Background(std::size_t stream, common::Hour hour, std::vector<Call>& out) const {
  const Stream& s = world_.streams()[stream];
  const Account& account = world_.accounts()[s.account];
  Rng rng(DeriveSeed(world_.options().seed, {kBackgroundTag, stream, Count(hour)}));
  for (int m = 0; m < 60; ++m) {
    const common::Minute minute = hour + minutes{m};
    for (std::size_t actor = 0; actor < account.principals.size(); ++actor) {
      const Principal& principal = account.principals[actor];
      if (principal.spec == nullptr || principal.cumulative.empty()) continue;
      const std::uint32_t calls = rng.Poisson(ActorRate(stream, actor, minute));
      for (std::uint32_t k = 0; k < calls; ++k) {
        const double pick = rng.Uniform() * principal.cumulative.back();
        const auto slot =
            std::upper_bound(principal.cumulative.begin(), principal.cumulative.end(), pick) -
            principal.cumulative.begin();
        const std::uint16_t api_id =
            principal.api_ids[std::min<std::size_t>(slot, principal.api_ids.size() - 1)];
        const ApiSpec& api = world_.apis()[api_id];
        const common::Seconds time = minute + seconds{rng.Below(60)};
        const CallError error = DrawError(rng, *principal.spec, api);
        const seconds delay = DeliveryDelay(rng);
        const std::uint64_t salt = rng.Next();
        if (api.global && !s.home) continue;  // IAM is logged in the home region only
        out.push_back(Call{time, time + delay, static_cast<std::uint32_t>(stream), api_id,
                           static_cast<std::uint16_t>(actor), error, salt});
      }
    }
  }
}

namespace {

// Returns the planned starts (before jitter) of `job` in account `account_index` that may
// reach into `hour`: on each of its days (local days for a local job), its one start, or its
// random runs; none on a day of the week it skips.
std::vector<common::Minute> JobStarts(const GeneratorOptions& options, const JobSpec& job,
                                      std::size_t job_index, const Account& account,
                                      int account_index, common::Hour hour) {
  std::vector<common::Minute> starts;
  if (job.deploy) starts = ExtraDeployStarts(options, account_index, floor<days>(hour));
  const hours offset{job.local ? account.utc_offset_hours : 0};
  const common::Day today = floor<days>(hour + offset);
  for (common::Day day : {today - days{1}, today}) {
    if (job.weekdays_only && IsWeekend(day)) continue;
    const unsigned day_of_week = std::chrono::weekday{day}.iso_encoding() - 1;  // Monday: 0
    if (((job.days_of_week >> day_of_week) & 1U) == 0) continue;
    const common::Minute midnight = day - offset;  // the day's first minute, in UTC
    if (job.runs_max == 0) {
      if (job.every.count() == 0) {
        starts.push_back(midnight + job.at);
        continue;
      }
      for (common::Minute t = midnight + job.at; t < midnight + days{1}; t += job.every) {
        if (t + minutes{15} >= hour && t < hour + hours{1}) starts.push_back(t);
      }
      continue;
    }
    Rng rng(DeriveSeed(options.seed, {kJobDayTag, job_index,
                                      static_cast<std::uint64_t>(account_index), Count(day)}));
    const int runs = rng.Between(job.runs_min, job.runs_max);
    for (int k = 0; k < runs; ++k) {
      starts.push_back(midnight + job.at +
                       minutes{rng.Below(static_cast<std::uint64_t>(job.within.count()))});
    }
  }
  return starts;
}

}  // namespace

void TrafficModel::Jobs(std::size_t stream, common::Hour hour, std::vector<Call>& out) const {
  const Stream& s = world_.streams()[stream];
  const Account& account = world_.accounts()[s.account];
  if (s.scale <= 0 || hour + hours{1} <= account.first_day) return;
  // Organization jobs are numbered after the common ones, so adding them changes no seed of
  // the others.
  const std::span<const JobSpec> common_jobs = JobCatalog();
  const std::span<const JobSpec> organization_jobs =
      world_.options().organization ? OrganizationJobCatalog() : std::span<const JobSpec>{};
  for (std::size_t j = 0; j < common_jobs.size() + organization_jobs.size(); ++j) {
    const bool common_job = j < common_jobs.size();
    const JobSpec& job = common_job ? common_jobs[j] : organization_jobs[j - common_jobs.size()];
    if (job.home_region_only && s.region != 0) continue;
    if (!common_job && (job.kinds & KindBit(account.kind)) == 0) continue;
    std::size_t actor = 0;
    while (actor < account.principals.size() && (account.principals[actor].spec == nullptr ||
                                                 account.principals[actor].spec->id != job.actor)) {
      ++actor;
    }
    if (actor == account.principals.size()) continue;
    // Every occurrence that may reach into this hour (jobs last a quarter of an hour at most).
    for (const common::Minute planned :
         JobStarts(world_.options(), job, j, account, s.account, hour)) {
      Rng rng(DeriveSeed(world_.options().seed, {kJobTag, j, stream, Count(planned)}));
      const common::Seconds start = planned +
                                    minutes{rng.Between(-job.jitter_minutes, job.jitter_minutes)} +
                                    seconds{rng.Below(5)};
      for (const JobStep& step : job.steps) {
        int calls = rng.Between(step.min_calls, step.max_calls);
        if (s.region != 0) {
          calls = std::max(1, static_cast<int>(std::lround(calls * job.secondary_scale)));
        }
        const std::size_t colon = step.api.find(':');
        const int api_id = world_.FindApi(step.api.substr(0, colon), step.api.substr(colon + 1));
        for (int k = 0; k < calls; ++k) {
          const common::Seconds time =
              start + seconds{step.offset + static_cast<int>(rng.Below(step.spread + 1))};
          const seconds delay = DeliveryDelay(rng);
          const std::uint64_t salt = rng.Next();
          if (api_id < 0 || (world_.apis()[api_id].global && !s.home)) continue;
          if (time < hour || time >= hour + hours{1} || time < account.first_day) continue;
          out.push_back(Call{time, time + delay, static_cast<std::uint32_t>(stream),
                             static_cast<std::uint16_t>(api_id), static_cast<std::uint16_t>(actor),
                             CallError::kNone, salt});
        }
      }
    }
  }
}

void TrafficModel::Incidents(std::size_t stream, common::Hour hour, std::vector<Call>& out) const {
  const std::vector<Incident>& incidents = world_.incidents();
  for (std::size_t i = 0; i < incidents.size(); ++i) {
    if (world_.incident_stream(i) != static_cast<int>(stream)) continue;
    const Incident& incident = incidents[i];
    const auto api = static_cast<std::uint16_t>(world_.incident_api(i));
    const auto principal = static_cast<std::uint16_t>(world_.incident_principal(i));
    const CallError error = world_.incident_error(i);
    if (incident.kind == "tamper") {
      if (incident.start < hour || incident.start >= hour + hours{1}) continue;
      Rng rng(DeriveSeed(world_.options().seed, {kIncidentTag, i, Count(incident.start)}));
      const seconds delay = DeliveryDelay(rng);
      out.push_back(Call{incident.start, incident.start + delay, static_cast<std::uint32_t>(stream),
                         api, principal, error, rng.Next()});
      continue;
    }
    const common::Seconds end = incident.start + incident.duration;
    if (incident.calls > 0) {
      // The same draws in every hour, so each hour keeps the calls that fall in it.
      Rng rng(DeriveSeed(world_.options().seed, {kIncidentTag, i, Count(incident.start)}));
      const auto span = static_cast<std::uint64_t>((end - incident.start).count());
      for (int k = 0; k < incident.calls; ++k) {
        const common::Seconds time = incident.start + seconds{rng.Below(span)};
        const seconds delay = DeliveryDelay(rng);
        const std::uint64_t salt = rng.Next();
        if (time < hour || time >= hour + hours{1}) continue;
        out.push_back(Call{time, time + delay, static_cast<std::uint32_t>(stream), api, principal,
                           error, salt});
      }
      continue;
    }
    const common::Minute first =
        std::max<common::Minute>(common::FloorMinute(incident.start), hour);
    for (common::Minute minute = first; minute < end && minute < hour + hours{1};
         minute += minutes{1}) {
      Rng rng(DeriveSeed(world_.options().seed, {kIncidentTag, i, Count(minute)}));
      double rate = incident.calls_per_minute;
      if (incident.kind == "slow-rise") {
        // Extra calls lift the background to rise_factor times itself along a raised cosine.
        const double progress =
            std::min(1.0, static_cast<double>((minute - incident.start).count() + 30) / 60.0 /
                              static_cast<double>(incident.ramp.count()));
        const double lift = 0.5 * (1.0 - std::cos(std::numbers::pi * progress));
        rate = (incident.rise_factor - 1.0) * lift * ApiRate(stream, api, minute);
      }
      const std::uint32_t calls = rng.Poisson(rate);
      for (std::uint32_t k = 0; k < calls; ++k) {
        const common::Seconds time = minute + seconds{rng.Below(60)};
        const seconds delay = DeliveryDelay(rng);
        const std::uint64_t salt = rng.Next();
        if (time < incident.start || time >= end) continue;
        out.push_back(Call{time, time + delay, static_cast<std::uint32_t>(stream), api, principal,
                           error, salt});
      }
    }
  }
}

}  // namespace trailsight::sim
