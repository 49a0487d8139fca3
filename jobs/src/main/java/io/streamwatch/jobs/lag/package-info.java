/**
 * The visits lag detector: a writer commits visits in versions ({@link io.streamwatch.jobs.lag.WriteVisits}, pushing
 * {@code visits_writer_version}), a streaming consumer reads them ({@link io.streamwatch.jobs.lag.ConsumeVisits}, pushing
 * {@code visits_reader_version} and the lag through the listener library), a batch reader shows the table
 * ({@link io.streamwatch.jobs.lag.ReadVisits}). Alerts: {@code VisitsConsumerLag}, {@code VisitsConsumerLagSeconds}
 * ({@code docker/prometheus/rules/visits.yml}). Demo: {@code scripts/demo} (the lag scenario). Docs: {@code docs/visits-lag.md}.
 */
package io.streamwatch.jobs.lag;
