/**
 * The visits SLA synchronizer: JSON visits from Kafka ({@link io.streamwatch.jobs.sla.GenerateVisits} with
 * {@link io.streamwatch.jobs.sla.VisitFaker}) into the nested visits table, exactly once, malformed records quarantined with
 * their reason ({@link io.streamwatch.jobs.sla.VisitsValidation}), each batch's duration against the SLA
 * ({@link io.streamwatch.jobs.sla.SyncVisitsToDelta}). Alerts: {@code SlaMissVisitsSynchronizer} and the generic
 * {@code StreamwatchBatchStalled}. Demo: {@code scripts/demo sla}. Docs: {@code docs/visits-sla.md}.
 */
package io.streamwatch.jobs.sla;
