package simpletorch.testing;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class NumericAssertionsTest {

    @Test
    void passesWithinToleranceAndReportsMaxDifferencesWhenNot() {
        assertThatCode(() -> NumericAssertions.assertClose("ok", new double[] {1, 2}, new double[] {1 + 1e-6, 2}, 1e-5, 0))
                .doesNotThrowAnyException();
        assertThatThrownBy(() -> NumericAssertions.assertClose("out", new double[] {1, 2, 3}, new double[] {1, 2.5, 3.001},
                1e-5, 1e-4))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("out: 2 of 3 elements")
                .hasMessageContaining("max abs diff 5.000e-01 at [1]")
                .hasMessageContaining("max rel diff 2.000e-01 at [1]");
    }

    @Test
    void nanFailsAndEqualInfinitiesPass() {
        assertThatThrownBy(() -> NumericAssertions.assertClose("nan", new double[] {Double.NaN}, new double[] {0}, 1, 1))
                .isInstanceOf(AssertionError.class);
        assertThatCode(() -> NumericAssertions.assertClose("inf", new double[] {Double.NEGATIVE_INFINITY},
                new double[] {Double.NEGATIVE_INFINITY}, 0, 0)).doesNotThrowAnyException();
    }
}
