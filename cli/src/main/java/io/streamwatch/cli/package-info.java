/**
 * The command-line contract every streamwatch entry point follows ({@link io.streamwatch.cli.Cli}: exit 0, 1 or 2,
 * one-line errors, "see --help"), each command's option defaults and environment fallbacks
 * ({@link io.streamwatch.cli.OptionDefaults}), and the duration syntax of its flags. Picocli only: the rules service,
 * the emulators and the Spark jobs share it.
 */
package io.streamwatch.cli;
