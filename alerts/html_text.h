#pragma once

#include <string>
#include <string_view>

namespace trailsight::alerts {

// Appends `text` to `out` so that it reads as the same characters in HTML text and in a
// double- or single-quoted attribute value: `&`, `<`, `>`, `"` and `'` become character
// references; C0 control characters other than tab, line feed and carriage return, and DEL,
// become U+FFFD, so no value from a record can open an element, close an attribute or hide
// bytes. Other bytes are copied (invalid UTF-8 is shown by the browser as U+FFFD). Pure.
void AppendHtml(std::string& out, std::string_view text);

// Returns `text` escaped as AppendHtml() does.
std::string Html(std::string_view text);

}  // namespace trailsight::alerts
