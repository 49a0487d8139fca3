package io.streamwatch.listeners;

import io.prometheus.client.Collector;
import io.prometheus.client.CollectorRegistry;
import io.prometheus.client.exporter.HTTPServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The same series the listeners push, served from the driver at {@code /metrics} for Prometheus to scrape (a
 * PodMonitor or ServiceMonitor, or any scrape config), with or without a Pushgateway. Each group's series carry its
 * grouping key as labels ({@code job}, {@code query}, {@code query_id}), as the Pushgateway exposes them: scrape with
 * {@code honor_labels: true} to keep {@code job}. A group is replaced whole, and removed with its last part, so a
 * stopped query's series leave the endpoint. One endpoint per address and JVM, on client_java's HTTP server (daemon
 * threads; relocated in the {@code -all} jar).
 */
final class ScrapeEndpoint extends Collector implements PushgatewayPublisher.Delivery {
    private static final Map<InetSocketAddress, PushgatewayPublisher> SHARED = new ConcurrentHashMap<>();
    private final Map<PushGroup, List<MetricSample>> groups = new ConcurrentHashMap<>();
    private final InetSocketAddress address;
    private final HTTPServer server;

    private ScrapeEndpoint(InetSocketAddress address) throws IOException {
        this.address = address;
        CollectorRegistry registry = new CollectorRegistry();
        registry.register(this);
        this.server = new HTTPServer.Builder().withInetSocketAddress(address).withRegistry(registry).withDaemonThreads(true).build();
    }

    /**
     * The publisher of the endpoint at this address, started on first use and shared by every listener of the JVM.
     *
     * @throws IOException when the port cannot be bound (taken, not allowed)
     */
    static PushgatewayPublisher shared(InetSocketAddress address) throws IOException {
        PushgatewayPublisher publisher = SHARED.get(address);
        if (publisher != null) {
            return publisher;
        }
        synchronized (SHARED) {
            publisher = SHARED.get(address);
            if (publisher == null) {
                publisher = new PushgatewayPublisher(new ScrapeEndpoint(address));
                SHARED.put(address, publisher);
            }
            return publisher;
        }
    }

    /** The port it listens on. */
    int port() {
        return server.getPort();
    }

    @Override
    public void put(PushGroup group, List<MetricSample> samples) {
        groups.put(group, List.copyOf(samples));
    }

    @Override
    public void delete(PushGroup group) {
        groups.remove(group);
    }

    @Override
    public List<MetricFamilySamples> collect() {
        Map<String, List<MetricFamilySamples.Sample>> byName = new LinkedHashMap<>();
        Map<String, String> helpOf = new LinkedHashMap<>();
        groups.forEach((group, samples) -> {
            for (MetricSample sample : samples) {
                Map<String, String> labels = new LinkedHashMap<>();
                labels.put("job", group.job());
                labels.putAll(new TreeMap<>(group.labels()));
                labels.putAll(sample.labels());
                helpOf.putIfAbsent(sample.name(), sample.help());
                byName.computeIfAbsent(sample.name(), name -> new ArrayList<>()).add(new MetricFamilySamples.Sample(sample.name(),
                        new ArrayList<>(labels.keySet()), new ArrayList<>(labels.values()), sample.value()));
            }
        });
        List<MetricFamilySamples> families = new ArrayList<>();
        byName.forEach((name, samples) -> families.add(new MetricFamilySamples(name, Type.GAUGE, helpOf.get(name), samples)));
        return families;
    }

    @Override
    public String toString() {
        return "the scrape endpoint http://" + address.getHostString() + ":" + address.getPort() + "/metrics";
    }
}
