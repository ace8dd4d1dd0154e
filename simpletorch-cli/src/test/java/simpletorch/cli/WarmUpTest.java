package simpletorch.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** {@code bench}'s warm-up rule, over made-up clocks: how many steps of 32 images it runs. */
class WarmUpTest {
    /** Runs steps of 32 images, the compiler clock given per step; returns the number of steps taken. */
    private static int stepsUntilDone(WarmUp warm, long[] compileMillisAfterStep, long[] clock) {
        int step = 0;
        while (true) {
            clock[1] = compileMillisAfterStep[Math.min(step, compileMillisAfterStep.length - 1)];
            step++;
            if (warm.stepDone(32)) {
                return step;
            }
            clock[0] += 1_000_000; // a millisecond a step
        }
    }

    private static long[] compilingUntil(int lastBusyStep, int steps) {
        long[] ms = new long[steps];
        for (int s = 0; s < steps; s++) {
            ms[s] = 10L * Math.min(s, lastBusyStep); // 10 ms of compiling a step, then none
        }
        return ms;
    }

    @Test
    void aFixedWarmUpRunsExactlyTheImagesAsked() {
        WarmUp warm = WarmUp.fixed(100);
        assertThat(warm.none()).isFalse();
        assertThat(warm.stepDone(32)).isFalse();
        assertThat(warm.stepDone(32)).isFalse();
        assertThat(warm.stepDone(32)).isFalse();
        assertThat(warm.stepDone(4)).isTrue();
        assertThat(warm.images()).isEqualTo(100);
        assertThat(warm.reason()).isEqualTo("as asked");
        assertThat(WarmUp.fixed(0).none()).isTrue();
    }

    @Test
    void theAutomaticWarmUpStopsOnceTheCompilersWereIdleForAHundredSteps() {
        long[] clock = {0, 0}; // nanos, compile millis
        WarmUp warm = WarmUp.untilCompiled(() -> clock[1], () -> clock[0]);
        int steps = stepsUntilDone(warm, compilingUntil(400, 2_000), clock);
        // compiling up to step 400 (the value after step s is that of index s - 1): idle from step 401 on
        assertThat(steps).isEqualTo(401 + WarmUp.QUIET_STEPS);
        assertThat(warm.images()).isEqualTo(32 * steps);
        assertThat(warm.reason()).contains("idle for 100 steps");
    }

    @Test
    void theAutomaticWarmUpRunsItsMinimumEvenWhenTheCompilersAreIdle() {
        long[] clock = {0, 0};
        WarmUp warm = WarmUp.untilCompiled(() -> clock[1], () -> clock[0]);
        int steps = stepsUntilDone(warm, new long[]{0}, clock);
        assertThat(warm.images()).isGreaterThanOrEqualTo(WarmUp.MIN_IMAGES);
        assertThat(steps).isEqualTo(WarmUp.QUIET_STEPS + 1); // 3,200 images are 100 steps; the window needs one more
    }

    @Test
    void aSmallCompilationStillCountsAsIdleButALargerOneRestartsTheWindow() {
        long[] clock = {0, 0};
        WarmUp warm = WarmUp.untilCompiled(() -> clock[1], () -> clock[0]);
        long[] ms = new long[1_000];
        for (int s = 0; s < ms.length; s++) {
            ms[s] = (s >= 50 ? 2 : 0) + (s >= 300 ? 50 : 0); // 2 ms in a 100 ms window: idle (2%); 50 ms later
        }
        assertThat(stepsUntilDone(warm, ms, clock)).isEqualTo(WarmUp.QUIET_STEPS + 1);
        WarmUp later = WarmUp.untilCompiled(() -> clock[1], () -> clock[0]);
        long[] busy = new long[1_000];
        for (int s = 0; s < busy.length; s++) {
            busy[s] = s < 250 ? 10L * s : 2_500; // compiling until step 250
        }
        assertThat(stepsUntilDone(later, busy, clock)).isEqualTo(251 + WarmUp.QUIET_STEPS);
    }

    @Test
    void idleIsAShareOfTheWindowsTimeSoLongerStepsMayCompileMore() {
        long[] ms = new long[2_000];
        for (int s = 0; s < ms.length; s++) {
            ms[s] = s / 25; // a millisecond of compiling every 25 steps: 4 ms per 100 steps
        }
        long[] fast = {0, 0}; // 1 ms a step: 4 ms of 100 is 4%, not idle
        WarmUp training = WarmUp.untilCompiled(() -> fast[1], () -> fast[0]);
        stepsUntilDone(training, ms, fast);
        assertThat(training.reason()).contains("64000 images");
        long[] slow = {0, 0}; // 4 ms a step: 4 ms of 400 is 1%, idle
        WarmUp inference = WarmUp.untilCompiled(() -> slow[1], () -> slow[0]);
        int step = 0;
        while (true) {
            slow[1] = ms[step];
            step++;
            if (inference.stepDone(32)) {
                break;
            }
            slow[0] += 4_000_000;
        }
        assertThat(step).isEqualTo(WarmUp.QUIET_STEPS + 1);
        assertThat(inference.reason()).contains("idle for 100 steps");
    }

    @Test
    void theAutomaticWarmUpGivesUpAtItsLimits() {
        long[] clock = {0, 0};
        WarmUp byImages = WarmUp.untilCompiled(() -> clock[1], () -> clock[0]);
        stepsUntilDone(byImages, compilingUntil(Integer.MAX_VALUE, 10_000), clock);
        assertThat(byImages.images()).isEqualTo(WarmUp.MAX_IMAGES);
        assertThat(byImages.reason()).contains("64000 images, the JIT still compiling");

        long[] slow = {0, 0};
        WarmUp byTime = WarmUp.untilCompiled(() -> slow[1], () -> slow[0]);
        int step = 0;
        while (!byTime.stepDone(32)) {
            step++;
            slow[1] = 10L * step;
            slow[0] += 1_000_000_000L; // a second a step
        }
        assertThat(byTime.seconds()).isEqualTo(60.0);
        assertThat(byTime.reason()).contains("60 s, the JIT still compiling");
    }
}
