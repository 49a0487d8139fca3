/**
 * The visits table the lag detector and the SLA synchronizer share: its schema
 * ({@link io.streamwatch.jobs.visits.VisitsSchema}), where it is ({@link io.streamwatch.jobs.visits.VisitsTable}: a catalog table
 * or a path) and the job that creates it ({@link io.streamwatch.jobs.visits.CreateVisitsTable}).
 */
package io.streamwatch.jobs.visits;
