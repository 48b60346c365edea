#pragma once

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "common/result.h"
#include "detector/minute_observer.h"

namespace trailsight::app {

// Writes every judged minute as one CSV row, for notebooks (`trailsight replay --series`):
//
//   minute,type,account,region,event_source,event_name,error_code,calls,expected,fire_at,
//   calm_below,score,warm,insight_open,calls_5,expected_5,fire_at_5,score_5,...,score_60
//
// `minute` is "YYYY-MM-DDTHH:MM:00Z"; `type` ApiCallRateInsight or ApiErrorRateInsight;
// `calls`, `expected` and `fire_at` are the one-minute window's, then each longer window
// of models::kWindowMinutes has its calls, expected calls, firing level and score (empty
// when the detector did not judge that window); `score` is the largest window score;
// `warm` and `insight_open` are 0 or 1. Minutes the detector does not report (no calls and
// no open insight) have no row: their calls are 0. Fields holding a comma, a quote or a
// line break are quoted (RFC 4180).
//
// Rows are buffered and written in large blocks. A write failure is remembered; later rows
// are dropped and Finish() reports it. Thread safety: none; the detector's thread only.
class SeriesWriter final : public detector::MinuteObserver {
 public:
  // Opens `path` ("-" for stdout; else created or truncated) and writes the header. Only
  // keys matching one of `key_globs` are written (all when empty); a key is matched as
  // "ACCOUNT/REGION/SOURCE/NAME" (with "/ERRORCODE" for error-rate keys), with shell
  // wildcards `*` (any text, slashes included), `?` and `[...]`. Fails with kIo naming
  // the path.
  static common::Result<std::unique_ptr<SeriesWriter>> Create(const std::string& path,
                                                              std::vector<std::string> key_globs);
  ~SeriesWriter() override;
  SeriesWriter(const SeriesWriter&) = delete;
  SeriesWriter& operator=(const SeriesWriter&) = delete;

  void OnMinuteClosed(const detector::MinuteJudgement& judgement) override;

  // Writes what is buffered and closes the file. Fails with kIo naming the path when any
  // write failed; returns how many rows were written otherwise.
  common::Result<std::uint64_t> Finish();

 private:
  SeriesWriter(std::FILE* file, bool owned, std::string path, std::vector<std::string> key_globs);
  bool Selected(const detector::MinuteJudgement& judgement);
  void Drain();

  std::FILE* file_;  // closed by Finish() or the destructor when `owned_`
  bool owned_;
  const std::string path_;
  const std::vector<std::string> key_globs_;
  std::string key_;     // reused for glob matching
  std::string buffer_;  // rows not yet written; reused
  std::uint64_t rows_ = 0;
  bool failed_ = false;
};

}  // namespace trailsight::app
