package simpletorch.kernels;

/**
 * Grow-only scratch buffers, one set per thread, so that kernels allocate nothing in steady state. The contents
 * are garbage on return: a kernel that takes a buffer overwrites it before reading.
 */
final class Scratch {
    static final int IM2COL = 0;
    static final int DCOLS = 1;
    static final int PACK_A = 2;
    static final int PACK_B = 3;
    static final int TILE = 4;
    static final int BIAS = 5;
    private static final int SLOTS = 6;

    private static final ThreadLocal<float[][]> BUFFERS = ThreadLocal.withInitial(() -> new float[SLOTS][]);

    private Scratch() {
    }

    static float[] get(int slot, int size) {
        float[][] buffers = BUFFERS.get();
        if (buffers[slot] == null || buffers[slot].length < size) {
            buffers[slot] = new float[size];
        }
        return buffers[slot];
    }
}
