import * as tf from '@tensorflow/tfjs'

/** A TF.js Layers model as bytes: topology + weight specs as JSON, weights as one buffer. */
export interface ModelArtifacts {
  topology: string
  weightData: Buffer
}


export async function toArtifacts(model: tf.LayersModel): Promise<ModelArtifacts> {
  let saved: tf.io.ModelArtifacts | null = null
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      saved = artifacts
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } }
    })
  )
  const a = saved as tf.io.ModelArtifacts | null
  if (!a?.weightData || !a.weightSpecs) throw new Error('the model could not be serialized')
  const data = a.weightData instanceof ArrayBuffer ? a.weightData : tf.io.concatenateArrayBuffers(a.weightData)
  return { topology: JSON.stringify({ modelTopology: a.modelTopology, weightSpecs: a.weightSpecs }), weightData: Buffer.from(data) }
}

export async function fromArtifacts(art: ModelArtifacts): Promise<tf.LayersModel> {
  const { modelTopology, weightSpecs } = JSON.parse(art.topology) as { modelTopology: object; weightSpecs: tf.io.WeightsManifestEntry[] }
  const data = art.weightData.buffer.slice(art.weightData.byteOffset, art.weightData.byteOffset + art.weightData.byteLength) as ArrayBuffer
  return tf.loadLayersModel(tf.io.fromMemory({ modelTopology, weightSpecs, weightData: data }))
}

