package io.streamwatch.listeners;

import io.prometheus.client.CollectorRegistry;
import io.prometheus.client.Gauge;
import io.prometheus.client.exporter.PushGateway;
import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.URL;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Pushes metrics to a Prometheus Pushgateway without ever blocking its caller.
 *
 * <p>A group (job plus grouping labels) is made of parts, one per publisher of it (the listeners of one
 * query share their query's group). {@link #publish} only records the newest snapshot of a part (older,
 * undelivered ones are replaced: only the newest value per series matters) and wakes a single background
 * sender. The sender computes the waiting snapshots and PUTs each group whole (its parts merged), so every
 * push is the group's complete state; when the last part is removed it DELETEs the group. While the
 * Pushgateway is down it keeps the newest snapshots and retries with exponential backoff, logging one
 * warning per outage. Memory is bounded by the number of groups and parts.
 */
public final class PushgatewayPublisher implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PushgatewayPublisher.class);
    private static final Map<String, PushgatewayPublisher> SHARED = new ConcurrentHashMap<>();
    static final int MAX_PENDING = 10_000;
    private static final Duration FIRST_RETRY = Duration.ofMillis(250);
    private static final Duration LAST_RETRY = Duration.ofSeconds(15);
    private static final String WHOLE_GROUP = "";

    private record Key(PushGroup group, String part) {
    }

    /** A snapshot to push, or (snapshot null) the removal of the part. */
    private record Pending(long sequence, Supplier<Collection<MetricSample>> snapshot) {
    }

    private final String address;
    private final String printableAddress;
    private final PushGateway pushGateway;
    private final Map<Key, Pending> pending = new ConcurrentHashMap<>();
    /** What the Pushgateway holds, per group and part; touched by the sender thread only. */
    private final Map<PushGroup, Map<String, Collection<MetricSample>>> pushed = new HashMap<>();
    private final AtomicLong sequence = new AtomicLong();
    private final Semaphore wake = new Semaphore(0);
    private final Object delivered = new Object();
    private final Thread sender;
    private volatile boolean closed;
    private volatile long outageSince = -1;
    private volatile long deliveredPushes;
    private volatile long outages;

    /**
     * @param address the Pushgateway as {@code host:port} or {@code http(s)://host:port[/path]}
     */
    public PushgatewayPublisher(String address) {
        this.address = address;
        this.printableAddress = redactedAddress(address);
        this.pushGateway = newPushGateway(address);
        this.sender = new Thread(this::sendLoop, "streamwatch-pushgateway-sender");
        sender.setDaemon(true);
        sender.start();
    }

    /** One publisher (one sender thread) per address and JVM, shared by every listener and job in it. */
    public static PushgatewayPublisher shared(String address) {
        return SHARED.computeIfAbsent(address, PushgatewayPublisher::new);
    }

    public String address() {
        return address;
    }

    /** Publishes a group that has a single publisher. */
    public void publish(PushGroup group, Supplier<Collection<MetricSample>> snapshot) {
        publish(group, WHOLE_GROUP, snapshot);
    }

    /**
     * Replaces the part's snapshot to push; returns at once. {@code snapshot} runs later on the sender
     * thread, so it may read files or tables; if it throws, that snapshot is dropped with a warning.
     */
    public void publish(PushGroup group, String part, Supplier<Collection<MetricSample>> snapshot) {
        enqueue(new Key(group, part), new Pending(sequence.incrementAndGet(), snapshot));
    }

    /** Removes the part's series; the group goes from the Pushgateway with its last part. Never blocks. */
    public void remove(PushGroup group, String part) {
        enqueue(new Key(group, part), new Pending(sequence.incrementAndGet(), null));
    }

    /** Removes a group that has a single publisher. */
    public void remove(PushGroup group) {
        remove(group, WHOLE_GROUP);
    }

    private void enqueue(Key key, Pending next) {
        if (closed) {
            return;
        }
        if (pending.size() >= MAX_PENDING && !pending.containsKey(key)) {
            LOG.warn("Pushgateway {}: {} snapshots waiting; dropping one of {}", printableAddress, MAX_PENDING, key.group());
            return;
        }
        pending.put(key, next);
        wake.release();
    }

    /**
     * Waits until everything published before this call has been delivered, or the timeout passes.
     *
     * @return whether all of it was delivered
     */
    public boolean flush(Duration timeout) {
        long upTo = sequence.get();
        long deadline = System.nanoTime() + timeout.toNanos();
        wake.release();
        synchronized (delivered) {
            while (pending.values().stream().anyMatch(p -> p.sequence() <= upTo)) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                try {
                    TimeUnit.NANOSECONDS.timedWait(delivered, left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
            return true;
        }
    }

    /** Whether the last push attempt failed and no push has succeeded since. */
    public boolean isInOutage() {
        return outageSince >= 0;
    }

    /** How many outages began (each logged with one warning). */
    public long outages() {
        return outages;
    }

    /** How many pushes (and deletes) reached the Pushgateway. */
    public long deliveredPushes() {
        return deliveredPushes;
    }

    private void sendLoop() {
        Duration backoff = FIRST_RETRY;
        while (!closed) {
            try {
                if (outageSince >= 0) {
                    wake.tryAcquire(backoff.toMillis(), TimeUnit.MILLISECONDS);
                } else {
                    wake.acquire();
                }
                wake.drainPermits();
            } catch (InterruptedException e) {
                return;
            }
            boolean allDelivered = sendPending();
            backoff = allDelivered ? FIRST_RETRY : min(backoff.multipliedBy(2), LAST_RETRY);
        }
    }

    /** One round over the waiting groups; false when the Pushgateway could not be reached. */
    private boolean sendPending() {
        Map<PushGroup, Map<Key, Pending>> byGroup = new LinkedHashMap<>();
        pending.forEach((key, next) -> byGroup.computeIfAbsent(key.group(), g -> new LinkedHashMap<>()).put(key, next));
        for (Map.Entry<PushGroup, Map<Key, Pending>> entry : byGroup.entrySet()) {
            PushGroup group = entry.getKey();
            Map<String, Collection<MetricSample>> parts = new LinkedHashMap<>(pushed.getOrDefault(group, Map.of()));
            entry.getValue().forEach((key, next) -> applyTo(parts, key, next));
            try {
                pushWhole(group, parts);
            } catch (IOException e) {
                if (!isRefusal(e)) {
                    onOutage(e);
                    return false;
                }
                LOG.warn("Pushgateway {} refused the metrics of {}; skipping this snapshot: {}",
                        printableAddress, group, e.getMessage());
            }
            entry.getValue().forEach(pending::remove);
            deliveredPushes++;
            onDelivered();
        }
        return true;
    }

    private void applyTo(Map<String, Collection<MetricSample>> parts, Key key, Pending next) {
        if (next.snapshot() == null) {
            parts.remove(key.part());
            return;
        }
        try {
            parts.put(key.part(), List.copyOf(next.snapshot().get()));
        } catch (RuntimeException e) {
            LOG.warn("Pushgateway {}: cannot compute the metrics of {}; skipping this snapshot: {}",
                    printableAddress, key.group(), e.toString());
        }
    }

    private void pushWhole(PushGroup group, Map<String, Collection<MetricSample>> parts) throws IOException {
        if (parts.isEmpty()) {
            if (pushed.containsKey(group)) {
                pushGateway.delete(group.job(), group.labels());
                pushed.remove(group);
            }
            return;
        }
        List<MetricSample> samples = new ArrayList<>();
        parts.values().forEach(samples::addAll);
        pushGateway.push(registryOf(samples), group.job(), group.labels());
        pushed.put(group, parts);
    }

    /** A 4xx answer: the Pushgateway is up but will never take this snapshot, so retrying is pointless. */
    private static boolean isRefusal(IOException e) {
        return e.getMessage() != null && e.getMessage().matches("(?s).* was 4\\d\\d.*");
    }

    private void onOutage(IOException e) {
        if (outageSince < 0) {
            outageSince = System.nanoTime();
            outages++;
            LOG.warn("Pushgateway {} unreachable ({}); keeping the newest values and retrying until it is back",
                    printableAddress, e.getMessage());
        }
    }

    private void onDelivered() {
        if (outageSince >= 0) {
            LOG.info("Pushgateway {} reachable again after {} s; newest values delivered", printableAddress,
                    TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - outageSince));
            outageSince = -1;
        }
        synchronized (delivered) {
            delivered.notifyAll();
        }
    }

    private static CollectorRegistry registryOf(Collection<MetricSample> samples) {
        CollectorRegistry registry = new CollectorRegistry();
        Map<String, Gauge> gauges = new LinkedHashMap<>();
        for (MetricSample sample : samples) {
            String[] labelNames = sample.labels().keySet().stream().sorted().toArray(String[]::new);
            Gauge gauge = gauges.computeIfAbsent(sample.name(), name -> Gauge.build(name, sample.help())
                    .labelNames(labelNames).register(registry));
            String[] labelValues = java.util.Arrays.stream(labelNames).map(sample.labels()::get).toArray(String[]::new);
            gauge.labels(labelValues).set(sample.value());
        }
        return registry;
    }

    private static PushGateway newPushGateway(String address) {
        try {
            URL url = new URL(address.contains("://") ? address : "http://" + address);
            PushGateway gateway = new PushGateway(url);
            gateway.setConnectionFactory(target -> {
                HttpURLConnection connection = (HttpURLConnection) new URL(target).openConnection();
                connection.setConnectTimeout(2_000);
                connection.setReadTimeout(10_000);
                return connection;
            });
            return gateway;
        } catch (IOException e) {
            throw new IllegalArgumentException("invalid Pushgateway address: " + redactedAddress(address), e);
        }
    }

    /** The address without credentials, for logs. */
    public static String redactedAddress(String address) {
        return address.replaceAll("//[^/@]*@", "//***@");
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    @Override
    public void close() {
        closed = true;
        sender.interrupt();
        SHARED.remove(address, this);
    }
}
