#pragma once

#include <string>

#include "common/alert.h"
#include "common/finding.h"

namespace trailsight::alerts {

// How a line is dressed for the terminal that shows it.
struct LineStyle {
  // ANSI colours on the state (Start red, End green, Alert by severity). Callers set it only
  // when stdout is a terminal and NO_COLOR is unset or empty (https://no-color.org).
  bool colour = false;
};

// Renders `finding` as one line for a person reading a terminal, without a trailing newline.
// The contract, which tests and people's greps rely on: fields in this order, separated by
// two spaces, the first three padded so that the columns line up:
//   time            eventTime as "YYYY-MM-DDTHH:MM:SSZ" (Start: the first anomalous minute;
//                   End: the first minute back to normal)
//   state           "Start" or "End"
//   type            "call rate" or "error rate"
//   API             "eventSource eventName", then " (errorCode)" for error-rate insights
//   where           "account/region"
//   count           the insight's average against the baseline's, per minute, as
//                   "12 calls/min vs baseline 0.52 (23x)" ("errors/min" for error rate; an End
//                   adds "for N min"; no ratio when the baseline is 0; averages below 0.01
//                   print as "<0.01")
//   top principal   "top ARN", the first userIdentityArn attribution of the insight window;
//                   left out when the finding has none
// Values taken from records (names, codes, ARNs) have their control characters (C0, DEL and
// C1) written as \xNN, so a crafted record cannot move the cursor or recolour the terminal.
// Apart from the colours of `style`, the line is plain text. Pure: callable from any thread.
std::string RenderFindingLine(const common::Finding& finding, LineStyle style = {});

// Renders `alert` as one line in the same columns: time (to the second), "Alert", the kind
// ("tamper", "novelty", "silent source", "cap reached"), the API when a call raised it
// ("eventSource eventName", " (errorCode)" when the call failed), "account/region", then
// the severity and the rule ("Critical cloudtrail.StopLogging"), and last "by PRINCIPAL"
// for an alert about a call with a known caller, or the alert's message for one about the
// pipeline itself (silent source, cap reached). Values are escaped as in
// RenderFindingLine(). Pure: callable from any thread.
std::string RenderAlertLine(const common::Alert& alert, LineStyle style = {});

}  // namespace trailsight::alerts
