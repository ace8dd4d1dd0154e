import java.lang.reflect.Field;
import java.util.Arrays;

/**
 * One build, one JVM, a static field flipped between alternating blocks of training steps ({@link AbSteps}): for a
 * change that a field can switch on and off (made a non-final static for the measurement), so that both sides share
 * the JIT's profiles, the data and the worker threads, and the machine's drift falls on both alike. Run by
 * {@code benchmarks/ab_field.sh}.
 *
 * <p>Arguments: class.field, the "on" value, the "off" value, model, threads, rounds, steps a block. Prints the
 * medians of milliseconds a step and of the rounds' off/on ratios (above 1: "on" is faster). With the same value on
 * both sides it measures the harness's own spread (an A/A run).
 */
public final class FieldAB {
    private FieldAB() {
    }

    public static void main(String[] args) throws Exception {
        int dot = args[0].lastIndexOf('.');
        Field field = Class.forName(args[0].substring(0, dot)).getDeclaredField(args[0].substring(dot + 1));
        field.setAccessible(true);
        Object on = parse(field.getType(), args[1]), off = parse(field.getType(), args[2]);
        String model = args[3];
        int threads = Integer.parseInt(args[4]), rounds = Integer.parseInt(args[5]), steps = Integer.parseInt(args[6]);
        for (int w = 0; w < 6; w++) { // warm-up: both settings compiled and profiled
            field.set(null, w % 2 == 0 ? on : off);
            AbSteps.steps(model, threads, 400);
        }
        double[] onMs = new double[rounds], offMs = new double[rounds], ratios = new double[rounds];
        int onFaster = 0;
        for (int r = 0; r < rounds; r++) {
            for (int k = 0; k < 2; k++) { // "on" first in even rounds, "off" first in odd ones
                boolean isOn = (k == 0) == (r % 2 == 0);
                field.set(null, isOn ? on : off);
                double ms = AbSteps.steps(model, threads, steps);
                if (isOn) {
                    onMs[r] = ms;
                } else {
                    offMs[r] = ms;
                }
            }
            ratios[r] = offMs[r] / onMs[r];
            onFaster += onMs[r] < offMs[r] ? 1 : 0;
        }
        System.out.printf("%s, %d threads, %d rounds of %d steps: %s=%s %.3f ms a step, %s=%s %.3f (medians); off/on %.3f"
                        + " (quartiles %.3f-%.3f); on faster in %d of %d rounds%n", model, threads, rounds, steps,
                field.getName(), args[1], median(onMs), field.getName(), args[2], median(offMs), median(ratios),
                quantile(ratios, 0.25), quantile(ratios, 0.75), onFaster, rounds);
    }

    private static Object parse(Class<?> type, String value) {
        if (type == boolean.class) {
            return Boolean.parseBoolean(value);
        }
        if (type == int.class) {
            return Integer.parseInt(value);
        }
        if (type == long.class) {
            return Long.parseLong(value);
        }
        if (type == double.class) {
            return Double.parseDouble(value);
        }
        throw new IllegalArgumentException("a field of type " + type + " is not supported: boolean, int, long, double");
    }

    private static double median(double[] a) {
        return quantile(a, 0.5);
    }

    private static double quantile(double[] a, double q) {
        double[] s = a.clone();
        Arrays.sort(s);
        return s[(int) Math.min(s.length - 1, Math.round(q * (s.length - 1)))];
    }
}
