#include "cli/run.hpp"

int main(int argc, char** argv) { return cbkit::cli::run(argc, argv); }
