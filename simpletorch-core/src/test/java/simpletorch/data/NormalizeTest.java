package simpletorch.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class NormalizeTest {

    @Test
    void tutorialTransformMapsZeroToMinusOneAnd255ToOne() {
        Normalize t = Normalize.tutorial(3);
        for (int c = 0; c < 3; c++) {
            assertThat(t.apply(c, 0)).isEqualTo(-1f);
            assertThat(t.apply(c, 255)).isEqualTo(1f);
        }
        // torchvision: ToTensor gives 51/255 = 0.2; Normalize(0.5, 0.5) gives (0.2 - 0.5) / 0.5 = -0.6
        assertThat(t.apply(1, 51)).isCloseTo(-0.6f, org.assertj.core.data.Offset.offset(1e-6f));
    }

    @Test
    void perChannelMeanAndStdAreUsed() {
        Normalize t = new Normalize(new float[] {0.1307f, 0f}, new float[] {0.3081f, 2f});
        assertThat(t.apply(0, 255)).isEqualTo((1f - 0.1307f) / 0.3081f);
        assertThat(t.apply(1, 255)).isEqualTo(0.5f);
        assertThat(t.channels()).isEqualTo(2);
    }

    @Test
    void rejectsBadStdAndMismatchedLengths() {
        assertThatThrownBy(() -> new Normalize(new float[] {0.5f}, new float[] {0f}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("std[0] = 0.0");
        assertThatThrownBy(() -> new Normalize(new float[] {0.5f, 0.5f}, new float[] {-1f, 0.5f}))
                .hasMessageContaining("std[0] = -1.0");
        assertThatThrownBy(() -> new Normalize(new float[] {0.5f, 0.5f}, new float[] {0.5f}))
                .hasMessageContaining("got 2 and 1");
        assertThatThrownBy(() -> Normalize.tutorial(0)).hasMessageContaining("got 0");
    }

    @Test
    void arraysAreCopiedSoTheTransformCannotChange() {
        float[] mean = {0.5f};
        Normalize t = new Normalize(mean, new float[] {0.5f});
        mean[0] = 100f;
        t.mean()[0] = 100f;
        assertThat(t.apply(0, 0)).isEqualTo(-1f);
        assertThat(t).isEqualTo(Normalize.tutorial(1));
    }
}
