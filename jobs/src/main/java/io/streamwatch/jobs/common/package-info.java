/**
 * The kernel every system stands on: the CLI contract ({@link io.streamwatch.jobs.common.Jobs}: exit 0, 1 failure,
 * 2 bad flags with "see --help"; {@link io.streamwatch.jobs.common.BadFlagValue}, {@link io.streamwatch.jobs.common.JobFailure},
 * {@link io.streamwatch.jobs.common.DurationConverter}), the session ({@link io.streamwatch.jobs.common.SparkSessions}), the
 * graceful stop on SIGTERM ({@link io.streamwatch.jobs.common.GracefulStop}), the option groups shared by the jobs
 * ({@link io.streamwatch.jobs.common.KafkaOptions}, {@link io.streamwatch.jobs.common.PushOptions}), Delta helpers
 * ({@link io.streamwatch.jobs.common.DeltaTables}), the quarantine of malformed Kafka records
 * ({@link io.streamwatch.jobs.common.KafkaQuarantine}), a job's own durable progress next to its checkpoint
 * ({@link io.streamwatch.jobs.common.CheckpointFile}) and the idempotent per-batch Delta append
 * ({@link io.streamwatch.jobs.common.ExactlyOnceAppend}). It imports no system.
 */
package io.streamwatch.jobs.common;
