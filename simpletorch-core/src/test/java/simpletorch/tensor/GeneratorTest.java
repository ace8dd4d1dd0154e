package simpletorch.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class GeneratorTest {

    @Test
    void nthLongIsTheNthDrawWithoutDrawingTheOthers() {
        Generator g = new Generator(-7);
        for (long n = 1; n <= 1000; n++) {
            assertThat(Generator.nthLong(-7, n)).as("draw %d", n).isEqualTo(g.nextLong());
        }
        assertThat(Generator.nthLong(123, 0)).isNotEqualTo(Generator.nthLong(123, 1));
    }

    @Test
    void nthDoubleIsTheNthNextDoubleAndSkipAdvancesAsTheDrawsWould() {
        Generator g = new Generator(99);
        for (long n = 1; n <= 1000; n++) {
            assertThat(Generator.nthDouble(99, n)).as("draw %d", n).isEqualTo(g.nextDouble());
        }
        Generator skipped = new Generator(99);
        skipped.skip(1000);
        assertThat(skipped.state()).isEqualTo(g.state());
        assertThat(skipped.nextFloat()).isEqualTo(g.nextFloat());
    }

    @Test
    void sameSeedGivesSameSequenceAndStateRestoresIt() {
        Generator a = new Generator(42);
        Generator b = new Generator(42);
        for (int i = 0; i < 100; i++) {
            assertThat(a.nextLong()).isEqualTo(b.nextLong());
        }
        long saved = a.state();
        float[] first = {a.nextFloat(), (float) a.nextGaussian(), a.nextInt(7)};
        a.setState(saved);
        float[] again = {a.nextFloat(), (float) a.nextGaussian(), a.nextInt(7)};
        assertThat(again).containsExactly(first);
    }

    @Test
    void uniformAndGaussianHaveTheRightMoments() {
        Generator g = new Generator(1);
        int n = 200_000;
        double sum = 0, sumSq = 0, gSum = 0, gSumSq = 0;
        for (int i = 0; i < n; i++) {
            float u = g.nextFloat();
            assertThat(u).isGreaterThanOrEqualTo(0f).isLessThan(1f);
            sum += u;
            sumSq += u * u;
            double z = g.nextGaussian();
            gSum += z;
            gSumSq += z * z;
        }
        assertThat(sum / n).isCloseTo(0.5, org.assertj.core.data.Offset.offset(0.005));
        assertThat(sumSq / n - 0.25).isCloseTo(1.0 / 12, org.assertj.core.data.Offset.offset(0.003));
        assertThat(gSum / n).isCloseTo(0.0, org.assertj.core.data.Offset.offset(0.01));
        assertThat(gSumSq / n).isCloseTo(1.0, org.assertj.core.data.Offset.offset(0.02));
    }

    @Test
    void permutationHoldsEveryIndexOnceAndNextIntStaysInRange() {
        Generator g = new Generator(7);
        int[] p = g.permutation(1000);
        int[] sorted = p.clone();
        Arrays.sort(sorted);
        for (int i = 0; i < sorted.length; i++) {
            assertThat(sorted[i]).isEqualTo(i);
        }
        assertThat(p).isNotEqualTo(sorted);
        int[] counts = new int[3];
        for (int i = 0; i < 30_000; i++) {
            counts[g.nextInt(3)]++;
        }
        for (int c : counts) {
            assertThat(c).isBetween(9_500, 10_500);
        }
        assertThatThrownBy(() -> g.nextInt(0)).hasMessageContaining("bound must be > 0, got 0");
    }
}
