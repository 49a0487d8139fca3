/**
 * Deployment spikes: deployment events from Kafka ({@link io.streamwatch.jobs.spikes.GenerateDeployments} makes them)
 * validated and recorded ({@link io.streamwatch.jobs.spikes.DeploymentEvents}), counted per organization over a sliding
 * window ({@link io.streamwatch.jobs.spikes.DeploymentWindow}) and pushed as {@code organization_alert}; the job is
 * {@link io.streamwatch.jobs.spikes.DeploymentSpikes}. Alert: {@code DeploymentSpike} ({@code companions.yml}). Demo:
 * {@code scripts/demo spikes}. Docs: {@code docs/spikes.md}.
 */
package io.streamwatch.jobs.spikes;
