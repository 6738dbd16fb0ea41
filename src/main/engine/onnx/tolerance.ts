// How far a frozen segment on ONNX Runtime may be from TF.js, the reference. Kept free of
// runtime imports so the studio's main thread can report it.

/** Largest max|onnx - tfjs| / max|tfjs| a segment may show on its check on real images.
 * Measured on MobileNetV2 at its feature layer over hymenoptera: about 2e-5 (README). Rows from
 * either runtime are interchangeable within this; float16 storage alone rounds by ~5e-4. */
export const CHECK_TOLERANCE = 1e-3
