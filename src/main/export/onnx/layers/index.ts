// Every layer type the exporter knows, by tfjs class name.
import type { LayerConverter } from '../context'
import { activationLayers } from './activations'
import { convLayers } from './conv'
import { coreLayers } from './core'
import { mergeLayers } from './merge'
import { normalizationLayers } from './normalization'

export const CONVERTERS: Readonly<Record<string, LayerConverter>> = {
  ...activationLayers,
  ...convLayers,
  ...coreLayers,
  ...mergeLayers,
  ...normalizationLayers
}

/** Handled by the graph walk itself rather than by a converter. */
export const STRUCTURAL_TYPES = ['InputLayer', 'Model', 'Functional', 'Sequential'] as const
