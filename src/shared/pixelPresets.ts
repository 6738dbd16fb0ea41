// Named preprocessing rules for a backbone someone brings (the CLI's --preprocessing and the
// app's import form): input = (pixel * scale + offset - mean[c]) / std[c], pixel in 0..255.
// Written out once, because these are what exporters' docs state and what users get wrong.

export interface PixelPreset {
  scale: number
  offset: number
  mean?: [number, number, number]
  std?: [number, number, number]
  /** who expects it */
  what: string
}

export const PIXEL_PRESET_NAMES = ['imagenet', 'clip', 'minus-one-to-one', 'zero-to-one', 'raw'] as const
export type PixelPresetName = (typeof PIXEL_PRESET_NAMES)[number]

export const PIXEL_PRESETS: Record<PixelPresetName, PixelPreset> = {
  // torchvision's models (ResNet, EfficientNet, ConvNeXt, ViT from torchvision.models)
  imagenet: { scale: 1 / 255, offset: 0, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], what: 'x / 255, then ImageNet mean and std per channel: torchvision models (ResNet, EfficientNet, ConvNeXt)' },
  // OpenAI CLIP's image preprocessing (open_clip's OPENAI_DATASET_MEAN / _STD)
  clip: {
    scale: 1 / 255,
    offset: 0,
    mean: [0.48145466, 0.4578275, 0.40821073],
    std: [0.26862954, 0.26130258, 0.27577711],
    what: 'x / 255, then CLIP mean and std per channel: CLIP image encoders'
  },
  'minus-one-to-one': { scale: 1 / 127.5, offset: -1, what: 'x / 127.5 - 1: MobileNet, EfficientNet-lite and most Keras applications' },
  'zero-to-one': { scale: 1 / 255, offset: 0, what: 'x / 255: many models trained from scratch' },
  raw: { scale: 1, offset: 0, what: 'x as is (0-255): models that scale the pixels themselves' }
}

export function isPixelPreset(name: string): name is PixelPresetName {
  return (PIXEL_PRESET_NAMES as readonly string[]).includes(name)
}
