package simpletorch.cli;

import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** The PNG figures a run and an evaluation write; all drawn headless. */
final class Charts {
    private Charts() {
    }

    /** {@code training_history.png}: loss (left) and accuracy (right) per epoch, train and, if present, validation. */
    static void trainingHistory(Path file, List<EpochMetrics> history) throws IOException {
        double[] epochs = history.stream().mapToDouble(EpochMetrics::epoch).toArray();
        XYChart loss = chart("Loss", "loss");
        XYChart accuracy = chart("Accuracy", "accuracy (%)");
        series(loss, "train", epochs, history.stream().mapToDouble(EpochMetrics::trainLoss).toArray());
        series(accuracy, "train", epochs, history.stream().mapToDouble(m -> 100 * m.trainAccuracy()).toArray());
        if (!history.isEmpty() && history.get(0).hasValidation()) {
            series(loss, "validation", epochs, history.stream().mapToDouble(EpochMetrics::valLoss).toArray());
            series(accuracy, "validation", epochs, history.stream().mapToDouble(m -> 100 * m.valAccuracy()).toArray());
        }
        BufferedImage left = BitmapEncoder.getBufferedImage(loss);
        BufferedImage right = BitmapEncoder.getBufferedImage(accuracy);
        BufferedImage both = new BufferedImage(left.getWidth() + right.getWidth(), left.getHeight(), BufferedImage.TYPE_INT_RGB);
        Graphics2D g = both.createGraphics();
        g.drawImage(left, 0, 0, null);
        g.drawImage(right, left.getWidth(), 0, null);
        g.dispose();
        writePng(file, both);
    }

    private static XYChart chart(String title, String yTitle) {
        XYChart c = new XYChartBuilder().width(600).height(400).title(title).xAxisTitle("epoch").yAxisTitle(yTitle).build();
        c.getStyler().setChartBackgroundColor(Color.WHITE);
        c.getStyler().setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.OutsideS);
        c.getStyler().setXAxisDecimalPattern("0");
        return c;
    }

    private static void series(XYChart chart, String name, double[] x, double[] y) {
        XYSeries s = chart.addSeries(name, x, y);
        s.setMarker(SeriesMarkers.CIRCLE);
    }

    /** {@code confusion_matrix.png}: rows are true classes, columns predicted; cells shaded by row share, with counts. */
    static void confusionMatrix(Path file, long[][] matrix, List<String> classes) throws IOException {
        int n = classes.size();
        int cell = Math.max(28, Math.min(60, 600 / Math.max(1, n)));
        int margin = 140, top = 60;
        BufferedImage img = new BufferedImage(margin + n * cell + 20, top + n * cell + margin, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = canvas(img);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
        g.drawString("Confusion matrix (rows: true, columns: predicted)", 10, 25);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, Math.min(13, cell / 3 + 2)));
        FontMetrics fm = g.getFontMetrics();
        for (int t = 0; t < n; t++) {
            long rowSum = 0;
            for (long v : matrix[t]) {
                rowSum += v;
            }
            for (int p = 0; p < n; p++) {
                double share = rowSum == 0 ? 0 : (double) matrix[t][p] / rowSum;
                int shade = (int) Math.round(255 * (1 - share));
                g.setColor(new Color(shade, shade, 255));
                int x = margin + p * cell, y = top + t * cell;
                g.fillRect(x, y, cell, cell);
                g.setColor(Color.GRAY);
                g.drawRect(x, y, cell, cell);
                g.setColor(share > 0.5 ? Color.WHITE : Color.BLACK);
                String s = Long.toString(matrix[t][p]);
                g.drawString(s, x + (cell - fm.stringWidth(s)) / 2, y + (cell + fm.getAscent()) / 2 - 2);
            }
            g.setColor(Color.BLACK);
            String label = clip(classes.get(t), fm, margin - 10);
            g.drawString(label, margin - 6 - fm.stringWidth(label), top + t * cell + (cell + fm.getAscent()) / 2 - 2);
        }
        // Column labels, rotated to fit narrow cells.
        for (int p = 0; p < n; p++) {
            Graphics2D r = (Graphics2D) g.create();
            r.translate(margin + p * cell + (cell + fm.getAscent()) / 2 - 2, top + n * cell + 6);
            r.rotate(Math.PI / 2);
            r.drawString(clip(classes.get(p), fm, margin - 10), 0, 0);
            r.dispose();
        }
        g.dispose();
        writePng(file, img);
    }

    /** One tile of {@link #imageGrid}: a CHW uint8 image and its caption. */
    record Tile(int[] pixels, int channels, int height, int width, String caption) {
    }

    /**
     * A grid of images, each scaled up to at least 96 pixels and captioned below (a caption's {@code " / "} parts on
     * separate lines); for misclassified.png.
     */
    static void imageGrid(Path file, String title, List<Tile> tiles) throws IOException {
        int columns = Math.max(1, Math.min(6, tiles.size()));
        int rows = Math.max(1, (tiles.size() + columns - 1) / columns);
        int scale = tiles.isEmpty() ? 1 : Math.max(1, 96 / Math.max(tiles.get(0).height(), tiles.get(0).width()));
        int tw = tiles.isEmpty() ? 96 : tiles.get(0).width() * scale, th = tiles.isEmpty() ? 96 : tiles.get(0).height() * scale;
        int cw = Math.max(tw, 150) + 10, ch = th + 44;
        BufferedImage img = new BufferedImage(columns * cw + 10, 40 + rows * ch, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = canvas(img);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
        g.drawString(title, 10, 25);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
        FontMetrics fm = g.getFontMetrics();
        for (int k = 0; k < tiles.size(); k++) {
            Tile t = tiles.get(k);
            int x0 = 10 + (k % columns) * cw + (cw - 10 - tw) / 2, y0 = 40 + (k / columns) * ch;
            BufferedImage im = new BufferedImage(t.width(), t.height(), BufferedImage.TYPE_INT_RGB);
            int hw = t.height() * t.width();
            for (int y = 0; y < t.height(); y++) {
                for (int x = 0; x < t.width(); x++) {
                    int i = y * t.width() + x;
                    int r = t.pixels()[i];
                    int gr = t.channels() >= 3 ? t.pixels()[hw + i] : r;
                    int b = t.channels() >= 3 ? t.pixels()[2 * hw + i] : r;
                    im.setRGB(x, y, (r << 16) | (gr << 8) | b);
                }
            }
            g.drawImage(im, x0, y0, tw, th, null);
            g.setColor(Color.BLACK);
            // One line per " / "-separated part ("true: cat", "pred: dog"), each centred under the image.
            String[] lines = t.caption().split(" / ");
            for (int l = 0; l < lines.length && l < 2; l++) {
                String line = clip(lines[l], fm, cw - 12);
                g.drawString(line, 10 + (k % columns) * cw + (cw - 10 - fm.stringWidth(line)) / 2, y0 + th + 14 + 13 * l);
            }
        }
        g.dispose();
        writePng(file, img);
    }

    private static Graphics2D canvas(BufferedImage img) {
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_NEAREST_NEIGHBOR);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, img.getWidth(), img.getHeight());
        g.setColor(Color.BLACK);
        return g;
    }

    private static String clip(String s, FontMetrics fm, int width) {
        if (fm.stringWidth(s) <= width) {
            return s;
        }
        while (s.length() > 1 && fm.stringWidth(s + "…") > width) {
            s = s.substring(0, s.length() - 1);
        }
        return s + "…";
    }

    private static void writePng(Path file, BufferedImage img) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        if (!ImageIO.write(img, "png", bytes)) {
            throw new IOException("no PNG writer in this JVM");
        }
        AtomicFiles.write(file, bytes.toByteArray());
    }
}
