package io.streamwatch.alerting;

import com.fasterxml.jackson.databind.JsonNode;
import io.streamwatch.testkit.LocalPrometheus;
import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * The picture of one real run, drawn from Prometheus's own record of it (range queries, one point a second):
 * writer and reader versions, the consumer's lag, batch durations against the SLA line, each with the spans where
 * its alerts were pending (light) and firing (dark) shaded behind. Rendered by XChart, three charts in one PNG.
 */
final class Timeline {
    private static final Duration STEP = Duration.ofSeconds(1);
    private static final int WIDTH = 1400;
    private static final int HEIGHT = 330;

    private final LocalPrometheus prometheus;
    private final long startMillis;
    private final long endMillis;

    Timeline(LocalPrometheus prometheus, long startMillis, long endMillis) {
        this.prometheus = prometheus;
        this.startMillis = startMillis;
        this.endMillis = endMillis;
    }

    void render(double slaMillis, Path png) {
        XYChart versions = chart("Delta table versions: writer and reader", "version");
        line(versions, "writer version", "max(visits_writer_version)", new Color(31, 119, 180));
        line(versions, "reader version (consumer)", "max(visits_reader_version)", new Color(255, 127, 14));
        spans(versions, AlertsEndToEndTest.LAG, WARM);

        XYChart lag = chart("Consumer lag (writer minus reader), alert above 2 versions", "versions behind");
        line(lag, "lag", "max(max by (table) (visits_writer_version) - on(table) group_right() visits_reader_version)", new Color(214, 39, 40));
        constant(lag, "threshold", 2);
        spans(lag, AlertsEndToEndTest.LAG, WARM);

        XYChart batches = chart("Synchronizer micro-batches: duration of the last one, and of the one running", "milliseconds");
        line(batches, "last batch duration", "max(visits_sync_duration)", new Color(44, 160, 44));
        line(batches, "running batch so far", "max(streamwatch_query_running_batch_seconds) * 1000", new Color(148, 103, 189));
        constant(batches, "SLA", slaMillis);
        spans(batches, AlertsEndToEndTest.SLA, WARM);
        spans(batches, AlertsEndToEndTest.STALL, COOL);

        try {
            Files.createDirectories(png.getParent());
            String withoutExtension = png.toString().replaceAll("\\.png$", "");
            BitmapEncoder.saveBitmap(List.of(versions, lag, batches), 3, 1, withoutExtension, BitmapEncoder.BitmapFormat.PNG);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + png, e);
        }
    }

    private XYChart chart(String title, String yAxis) {
        XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT).title(title).xAxisTitle("seconds into the run").yAxisTitle(yAxis).build();
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
        chart.getStyler().setChartBackgroundColor(Color.WHITE);
        chart.getStyler().setPlotBackgroundColor(Color.WHITE);
        chart.getStyler().setPlotGridLinesColor(new Color(230, 230, 230));
        chart.getStyler().setXAxisMin(0.0);
        chart.getStyler().setXAxisMax((endMillis - startMillis) / 1000.0);
        chart.getStyler().setYAxisMin(0, 0.0);
        chart.getStyler().setYAxisMin(1, 0.0);
        chart.getStyler().setYAxisMax(1, 1.0);
        chart.getStyler().setYAxisGroupPosition(1, Styler.YAxisPosition.Right);
        chart.setYAxisGroupTitle(1, "alert");
        return chart;
    }

    private void line(XYChart chart, String name, String promql, Color color) {
        TreeMap<Double, Double> points = points(promql);
        if (points.isEmpty()) {
            return;
        }
        XYSeries series = chart.addSeries(name, toArray(points.keySet()), toArray(points.values()));
        series.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Step);
        series.setMarker(SeriesMarkers.NONE);
        series.setLineColor(color);
        series.setLineWidth(2f);
    }

    private void constant(XYChart chart, String name, double value) {
        double end = (endMillis - startMillis) / 1000.0;
        XYSeries series = chart.addSeries(name, new double[] {0, end}, new double[] {value, value});
        series.setMarker(SeriesMarkers.NONE);
        series.setLineColor(Color.DARK_GRAY);
        series.setLineStyle(new BasicStroke(1.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {6f, 4f}, 0f));
    }

    /** Colours of an alert's pending and firing spans. */
    private record Shades(Color pending, Color firing) {
    }

    private static final Shades WARM = new Shades(new Color(255, 200, 0, 80), new Color(220, 0, 0, 70));
    private static final Shades COOL = new Shades(new Color(120, 200, 255, 80), new Color(30, 60, 200, 70));

    /** The alert's pending and firing spans, as 0/1 step areas on the right-hand axis. */
    private void spans(XYChart chart, String alert, Shades shades) {
        spans(chart, alert, "pending", shades.pending());
        spans(chart, alert, "firing", shades.firing());
    }

    private void spans(XYChart chart, String alert, String state, Color color) {
        TreeMap<Double, Double> present = points("max(ALERTS{alertname=\"" + alert + "\", alertstate=\"" + state + "\"})");
        if (present.isEmpty()) {
            return;
        }
        List<Double> xs = new ArrayList<>();
        List<Double> ys = new ArrayList<>();
        for (double t = 0; t <= (endMillis - startMillis) / 1000.0; t += STEP.toMillis() / 1000.0) {
            xs.add(t);
            ys.add(present.containsKey(t) ? 1.0 : 0.0);
        }
        XYSeries series = chart.addSeries(alert + " " + state, toArray(xs), toArray(ys));
        series.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.StepArea);
        series.setYAxisGroup(1);
        series.setMarker(SeriesMarkers.NONE);
        series.setFillColor(color);
        series.setLineColor(new Color(color.getRed(), color.getGreen(), color.getBlue(), 200));
        series.setLineWidth(0.5f);
    }

    /** Seconds into the run -> value, of a query that returns one series (the first when more). */
    private TreeMap<Double, Double> points(String promql) {
        TreeMap<Double, Double> points = new TreeMap<>();
        List<JsonNode> result = prometheus.queryRange(promql, startMillis, endMillis, STEP);
        if (!result.isEmpty()) {
            for (JsonNode value : result.get(0).path("values")) {
                double seconds = Math.round(value.get(0).asDouble() - startMillis / 1000.0);
                points.put(seconds, Double.parseDouble(value.get(1).asText()));
            }
        }
        return points;
    }

    private static double[] toArray(java.util.Collection<Double> values) {
        return values.stream().mapToDouble(Double::doubleValue).toArray();
    }
}
