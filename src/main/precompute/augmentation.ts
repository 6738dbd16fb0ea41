// The name of the augmented-view recipe (precompute/views.ts), kept apart from the recipe itself so
// the main thread can build cache keys without loading TF.js and sharp.

/** Part of the activations' cache key: change it whenever the view recipe in views.ts changes. */
export const AUGMENTATION = 'v1:flip0.5,area0.6-1,aspect0.75-1.33,brightness0.2,contrast0.2'
