/**
 * The kernel every system stands on: the Spark side of the CLI contract ({@link io.streamwatch.jobs.common.Jobs}: the
 * {@link io.streamwatch.cli.Cli} contract plus a graceful stop on SIGTERM, {@link io.streamwatch.jobs.common.GracefulStop},
 * and the session stopped at the end), the session ({@link io.streamwatch.jobs.common.SparkSessions}), the run skeleton
 * ({@link io.streamwatch.jobs.common.StreamingJob}), the option mixins of a streaming query
 * ({@link io.streamwatch.jobs.common.QueryOptions}, {@link io.streamwatch.jobs.common.StartingOffsets},
 * {@link io.streamwatch.jobs.common.PushOptions}; each job declares their defaults), Delta helpers
 * ({@link io.streamwatch.jobs.common.DeltaTables}), the quarantine of malformed Kafka records
 * ({@link io.streamwatch.jobs.common.KafkaQuarantine}), a job's own durable progress next to its checkpoint
 * ({@link io.streamwatch.jobs.common.CheckpointFile}), the idempotent per-batch Delta append
 * ({@link io.streamwatch.jobs.common.ExactlyOnceAppend}), the once-per-Kafka-record append
 * ({@link io.streamwatch.jobs.common.KafkaRecordsOnce}) and the jobs' metric names
 * ({@link io.streamwatch.jobs.common.JobMetric}). It imports no system.
 */
package io.streamwatch.jobs.common;
