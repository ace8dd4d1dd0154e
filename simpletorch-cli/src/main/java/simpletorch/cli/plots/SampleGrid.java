package simpletorch.cli.plots;

import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import simpletorch.data.ImageDataset;

/**
 * A grid of images, each titled with its class name, like the tutorial's {@code cifar10_samples.png}. Images
 * are enlarged by pixel repetition so small ones (32 x 32) stay crisp.
 */
public final class SampleGrid {
    private SampleGrid() {
    }

    /**
     * @param indices the examples to draw, row by row
     * @param columns images per row
     */
    public static BufferedImage render(ImageDataset data, int[] indices, int columns) {
        int n = indices.length;
        int rows = (n + columns - 1) / columns;
        int scale = Math.max(1, 96 / Math.max(data.height(), data.width()));
        int cellW = Math.max(data.width() * scale, 96), imgH = data.height() * scale, titleH = 18, pad = 8;
        int cellH = titleH + imgH;
        BufferedImage out = new BufferedImage(pad + columns * (cellW + pad), pad + rows * (cellH + pad), BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        try {
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, out.getWidth(), out.getHeight());
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
            FontMetrics fm = g.getFontMetrics();
            for (int k = 0; k < n; k++) {
                int i = indices[k];
                int x0 = pad + (k % columns) * (cellW + pad), y0 = pad + (k / columns) * (cellH + pad);
                String title = data.classes().get(data.label(i));
                while (fm.stringWidth(title) > cellW && title.length() > 3) {
                    title = title.substring(0, title.length() - 2) + "…";
                }
                g.setColor(Color.BLACK);
                g.drawString(title, x0 + (cellW - fm.stringWidth(title)) / 2, y0 + fm.getAscent());
                int ix = x0 + (cellW - data.width() * scale) / 2, iy = y0 + titleH;
                for (int h = 0; h < data.height(); h++) {
                    for (int w = 0; w < data.width(); w++) {
                        int r = data.pixel(i, 0, h, w);
                        int gr = data.channels() >= 3 ? data.pixel(i, 1, h, w) : r;
                        int b = data.channels() >= 3 ? data.pixel(i, 2, h, w) : r;
                        g.setColor(new Color(r, gr, b));
                        g.fillRect(ix + w * scale, iy + h * scale, scale, scale);
                    }
                }
            }
        } finally {
            g.dispose();
        }
        return out;
    }
}
