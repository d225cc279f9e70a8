#pragma once

namespace cbkit::cli {

// Parses the command line, runs one subcommand and returns the process exit code.
// This is the only place that catches cbkit::Error and prints "cbkit: error: ...".
int run(int argc, char** argv);

} // namespace cbkit::cli
