#pragma once

#include "config/config.h"
#include "consumers/dead_letter_file.h"

namespace trailsight::app {

// The dead-letter file's options from the `input:` section, for `replay` and `run` alike.
inline consumers::DeadLetterFileOptions DeadLetterFileOptionsFor(
    const config::InputSettings& input) {
  return {.redact = input.dead_letter_redact,
          .file = {.max_file_bytes = input.dead_letter_max_file_bytes,
                   .keep_files = input.dead_letter_keep_files}};
}

}  // namespace trailsight::app
