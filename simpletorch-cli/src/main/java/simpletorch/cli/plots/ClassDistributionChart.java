package simpletorch.cli.plots;

import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.style.Styler;

/** A bar chart of images per class, train and test side by side (the tutorial's {@code class_distribution.png}). */
public final class ClassDistributionChart {
    private ClassDistributionChart() {
    }

    /**
     * @param classes    class names in label order
     * @param trainCount images per class in the training split
     * @param testCount  images per class in the test split
     */
    public static BufferedImage render(String title, List<String> classes, int[] trainCount, int[] testCount) {
        int width = Math.max(800, 40 + 18 * classes.size());
        CategoryChart chart = new CategoryChartBuilder().width(width).height(500).title(title)
                .xAxisTitle("Class").yAxisTitle("Number of images").build();
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
        chart.getStyler().setChartBackgroundColor(java.awt.Color.WHITE);
        chart.getStyler().setXAxisLabelRotation(classes.size() > 10 ? 90 : 0);
        chart.getStyler().setOverlapped(false);
        chart.addSeries("train", new ArrayList<>(classes), toList(trainCount));
        chart.addSeries("test", new ArrayList<>(classes), toList(testCount));
        return BitmapEncoder.getBufferedImage(chart);
    }

    private static List<Integer> toList(int[] counts) {
        List<Integer> l = new ArrayList<>(counts.length);
        for (int c : counts) {
            l.add(c);
        }
        return l;
    }
}
