// The pretrained backbones Thaw Studio knows. Plain data: adding a backbone means adding an
// entry here (and, for 'download' entries, publishing its files), nothing else.
//
// Layer groups follow the networks' resolution stages. Every boundary is a block output (after
// its residual add), so it is the only tensor crossing it and the model can be cut and cached
// there (test/main/backbones/groups.test.ts checks it). The last group is kept to the 7x7 tail:
// under 1 M parameters and about 44 M multiply-adds per image (14% of the forward pass), small
// enough to fine-tune on a laptop CPU. The first group (up to 28x28) holds 2-3% of the
// parameters but 36-38% of the multiply-adds: thawed last if ever, and the cheapest to cache.
//
// Preprocessing was chosen by classifying the 153 hymenoptera validation photos (ImageNet
// 'ant'/'bee' as top-1) and is re-checked on 8 of them by test/main/backbones/preprocess.test.ts.
// Center-crop beat squash for all three (v2: 127 vs 117 right; v1: 118 vs 107), and [-1, 1]
// beat [0, 1] for both ImageNet models (v2: 127 vs 89; v1: 118 vs 113, mean log p(true class)
// -1.08 vs -1.25; BGR was worse still). The nsfwjs model has no ImageNet head: its features
// separate ants from bees better with [0, 1] (nearest-centroid 0.758 vs 0.686), which is also
// what nsfwjs itself feeds it (the test compares with nsfwjs's own classify()).
import type { BackboneSpec, Preprocessing } from './types'

/** MobileNet's own input scaling: pixels to [-1, 1]. */
const MINUS_ONE_TO_ONE: Preprocessing = { resize: 'center-crop', scale: 1 / 127.5, offset: -1, channels: 'RGB' }

/** Where the project publishes backbones that have no official TF.js home. MobileNetV2 exists
 * at Google only as TFLite/SavedModel; its TF.js Layers conversion must be hosted by us, and
 * this address is a setting for whoever publishes it (a release-assets folder laid out as
 * `<host><id>/model.json ...`). THAW_MODEL_MIRROR overrides it, as it does every base URL. */
export const THAW_MODEL_HOST = 'https://github.com/thaw-studio/backbones/releases/download/v1/'

export const DEFAULT_BACKBONE_ID = 'mobilenet_v2_1.0_224'

export const BUILTIN_BACKBONES: readonly BackboneSpec[] = [
  {
    id: 'mobilenet_v2_1.0_224',
    displayName: 'MobileNetV2 1.0 (224)',
    description: 'ImageNet MobileNetV2, width 1.0: the best accuracy for its speed here (93.9% linear probe on hymenoptera).',
    inputSize: [224, 224],
    preprocessing: MINUS_ONE_TO_ONE,
    licence: { name: 'Apache-2.0', url: 'https://github.com/google-coral/test_data/blob/master/LICENSE' },
    source: {
      kind: 'download',
      baseUrl: `${THAW_MODEL_HOST}mobilenet_v2_1.0_224/`,
      origin:
        "Google's tf2_mobilenet_v2_1.0_224_ptq.tflite from github.com/google-coral/test_data at commit " +
        '104342d2d3480b3e66203073dac24f4e2dbb4c41 (sha256 5d3137241276e79c86d14a74fe43581398ae0e815191d3dba45495b810840e8c), ' +
        'converted offline to a TF.js Layers model: int8 weights dequantized and stored as float16, BatchNorm folded ' +
        'into the convolutions, background class dropped (1000 outputs)'
    },
    files: [
    { name: 'model.json', bytes: 53_522, sha256: '713f5290b43b9bc55aa2cacd8d00b33666bf7934e74e6ed21f63d5828c29b3e6', role: 'model' },
    { name: 'group1-shard1of2.bin', bytes: 4_000_000, sha256: '7759544088af4c5872d04db11242d37cd2f493a616d65dda85962bff175cfae4', role: 'weights' },
    { name: 'group1-shard2of2.bin', bytes: 3_011_744, sha256: '5aadaf2a2d3d307310055bee8e769d2343c04a83e598c4eb6525511f137b3097', role: 'weights' },
    { name: 'LICENSE', bytes: 11_361, sha256: 'f9946796a8a5bd5981565142fa42e3b0cc36aef6f80e86beaf5905b3c0fef1b5', role: 'licence', optional: true },
    { name: 'imagenet_labels.json', bytes: 24_675, sha256: '068ec3ff4e180984b52eb16630c1729db180aaf3c88f660b012c7f159191118f', role: 'labels', optional: true },
    ],
    featureLayer: 'Conv2d_18_1_relu6',
    featureShape: [7, 7, 1280],
    groups: [
      { name: 'early (stem, blocks 1-6, 28x28)', lastLayer: 'expanded_conv_6_add_add' },
      { name: 'middle (blocks 7-13, 14x14)', lastLayer: 'expanded_conv_13_add_add' },
      { name: 'late (blocks 14-16, 7x7)', lastLayer: 'expanded_conv_16_add_add' },
      { name: 'final (block 17, 1x1 conv to 1280)', lastLayer: 'Conv2d_18_1_relu6' }
    ],
    classifier: { layer: 'predictions', classes: 1000, labelsFile: 'imagenet_labels.json' },
    params: 3_487_816,
    recommended: true
  },
  {
    id: 'mobilenet_v1_0.75_224',
    displayName: 'MobileNet v1 0.75 (224)',
    description:
      'ImageNet MobileNet v1, width 0.75, with real BatchNorm layers: weaker and slower than MobileNetV2 here ' +
      '(90.5% linear probe on hymenoptera), useful as a second, differently built backbone.',
    inputSize: [224, 224],
    preprocessing: MINUS_ONE_TO_ONE,
    licence: { name: 'Apache-2.0', url: 'https://github.com/tensorflow/tfjs-models/blob/master/LICENSE' },
    source: {
      kind: 'download',
      baseUrl: 'https://storage.googleapis.com/tfjs-models/tfjs/mobilenet_v1_0.75_224/',
      origin:
        'the tfjs-models Keras MobileNet v1 0.75/224 as Google published it for TF.js (Layers format, per-layer ' +
        'shards); the reference copy is github.com/tangmingsh/ml5featureExtractormodel, folder mobilenet_v1_0.75_224, ' +
        'commit 238fbc538b0dd3d3993a1ebaf5f68fa679c99fa7'
    },
    files: [
    { name: 'model.json', bytes: 49_403, sha256: 'a74c25424bd9939b1c245a58da417e35d1ca16f0b009490a1c44b43d982600d9', role: 'model' },
    { name: 'group1-shard1of1', bytes: 2_592, sha256: '410b3cc24d17aeabb2b0da4ba3b70383bbd40d7876c7c3d0e5184e1624f97370', role: 'weights' },
    { name: 'group2-shard1of1', bytes: 384, sha256: 'd81c61c33c32ddae0ff0a460efc326ebfdf5b44e7e4891feb12e9fadd09a56a3', role: 'weights' },
    { name: 'group3-shard1of1', bytes: 864, sha256: '112908d83ad17ecaf849958cce3ca7bfed80157a51360ba879528b2435e2f082', role: 'weights' },
    { name: 'group4-shard1of1', bytes: 13_824, sha256: '5e94d298bb9dbc3112e992466a03caac0b24f0438d3a9f1f6cd6bda9a54ae149', role: 'weights' },
    { name: 'group5-shard1of1', bytes: 6_144, sha256: '9df642d8547369f3729945e24851a2e6b53151322d811a6ff056aa6cfade05ae', role: 'weights' },
    { name: 'group6-shard1of1', bytes: 13_824, sha256: '1d4757b388337362ec777dfede8342c8a204d2fdcbdd05fedc2e8c043bc770d2', role: 'weights' },
    { name: 'group7-shard1of1', bytes: 6_144, sha256: '2af6b4d2bd0445481274ee0c2c62f1c97c9b07358c1f242502d9399a33633462', role: 'weights' },
    { name: 'group8-shard1of1', bytes: 13_824, sha256: 'fedb2a393c7e5a9cd877a09a03cb173a6b5265c3f1c64996fa6eeb73caf281a2', role: 'weights' },
    { name: 'group9-shard1of1', bytes: 6_144, sha256: '8c0dd6230a3dfd282624bd3ca3e288cb18bd8094a02a93cadd06107d7b0fdc76', role: 'weights' },
    { name: 'group10-shard1of1', bytes: 27_648, sha256: 'ffe87f44c0b246b0e3a2e8f7b4c8755df7e90083eab280046e1949f6d3094548', role: 'weights' },
    { name: 'group11-shard1of1', bytes: 12_288, sha256: 'd5422fd33b5b3a761b4872e350236445d006f5b024a8b50f1e19aec5df998e75', role: 'weights' },
    { name: 'group12-shard1of1', bytes: 384, sha256: '21bcbe424326f5d44476b4116695842dfec1dc1c83257db7c300bdbd14cbcbe0', role: 'weights' },
    { name: 'group13-shard1of1', bytes: 1_728, sha256: 'cee9d1834e80e98e0f55cb40a654540f9e9b1fd18ab2f16afa1e8bd916addc75', role: 'weights' },
    { name: 'group14-shard1of1', bytes: 768, sha256: '4851f5e477559b41db0e267878b86ccf2ea1cc7ed9f5d7599d661ba980718c65', role: 'weights' },
    { name: 'group15-shard1of1', bytes: 3_456, sha256: '262efea5db1248f77ea109c628647afe8f1d2750812dd764de514bcb72fb5fbf', role: 'weights' },
    { name: 'group16-shard1of1', bytes: 1_536, sha256: '2f4d993fb69caaabb060efcc347b54b0949e17a3d43cff315072e550775e993b', role: 'weights' },
    { name: 'group17-shard1of1', bytes: 3_456, sha256: 'd1518210ac84e0a713d01bebfbff1aa93c4ec16b4f43f98f2f4a2134f605324e', role: 'weights' },
    { name: 'group18-shard1of1', bytes: 1_536, sha256: 'c730ccf93ab504096fe2294c7bbbb66855a07f2480c0f72849cad9a90092729b', role: 'weights' },
    { name: 'group19-shard1of1', bytes: 6_912, sha256: 'd39c30fc0cb24c28dcf0a869ca8d6528e596599e70f7899f453dc5de775e5de2', role: 'weights' },
    { name: 'group20-shard1of1', bytes: 3_072, sha256: 'd94cd173f5b95be0a192333b6c5203123a35f8d5429b122eba46da5fd7d01e70', role: 'weights' },
    { name: 'group21-shard1of1', bytes: 6_912, sha256: '982cbbfb5bc00408b67182a65140b8ca6793cb495ab94c6b83c71384435684e3', role: 'weights' },
    { name: 'group22-shard1of1', bytes: 3_072, sha256: '64f8593a7e07081e8f0981393e5515a23153459f19685ebd69e8f4e64b6de258', role: 'weights' },
    { name: 'group23-shard1of1', bytes: 13_824, sha256: '38be667fa3398643de8bae70b8693e2d895cfe099fd34e9c241bc572bb764ec8', role: 'weights' },
    { name: 'group24-shard1of1', bytes: 6_144, sha256: '62c62d667246e8af09ed15b557add88ed9b0a9c7f058d8c9b8e20dc4183a3616', role: 'weights' },
    { name: 'group25-shard1of1', bytes: 13_824, sha256: 'b4e3ea0b6fb1c3e160cc673ce9c81d592ff233e608b2fc1dc0792125b867bd68', role: 'weights' },
    { name: 'group26-shard1of1', bytes: 6_144, sha256: '0059826ac853f592c50ca5d07edb8feb1bd84a855eba47333cb834095acb6b2b', role: 'weights' },
    { name: 'group27-shard1of1', bytes: 13_824, sha256: '3de17d3971bf39138917a87a4efa335c9cc82a33170f552361345f583a18b0cf', role: 'weights' },
    { name: 'group28-shard1of1', bytes: 6_144, sha256: '3aaa10b8e1932a9eebf04d9f85a65050e2ecc5efb295bdcd262c2e4c560ff70c', role: 'weights' },
    { name: 'group29-shard1of1', bytes: 3_076_000, sha256: '29e5c43deddd5033397f359611b840d130493c2eebb841b627de231a9a3a3133', role: 'weights' },
    { name: 'group30-shard1of1', bytes: 4_608, sha256: 'f95062a80935d493826eceb4e7d77655d10fe3be398653d7391beb282b16e105', role: 'weights' },
    { name: 'group31-shard1of1', bytes: 589_824, sha256: 'e4dbda049f2f49709fd4198b673fb5806e1e03d852645acdf4f1b0857f3cb561', role: 'weights' },
    { name: 'group32-shard1of1', bytes: 6_144, sha256: '2af21d7664ffcbba5af49116fe97e643ac1761a0dff53af05ee0755fac487af7', role: 'weights' },
    { name: 'group33-shard1of1', bytes: 589_824, sha256: 'b082a0a4d7d18fcecbc0bd4d9bddfe52bd3b9d8bd375d0603201dfc8ce6d6c14', role: 'weights' },
    { name: 'group34-shard1of1', bytes: 6_144, sha256: 'f2053a6599e047de9e91fdf83a34097494e03f1467522797aab6ccf843ed6cb9', role: 'weights' },
    { name: 'group35-shard1of1', bytes: 1_179_648, sha256: 'fd2e5a79e02d66d381b115b5c4bb84495e4d6a9be613e33717edc8ed4c391a71', role: 'weights' },
    { name: 'group36-shard1of1', bytes: 12_288, sha256: '24c244d8b8125eb206eacce88bf9b42748787b5a1f58899cd2e96e9094ba1a8d', role: 'weights' },
    { name: 'group37-shard1of1', bytes: 2_359_296, sha256: 'fa347a3052379e031c4aa71a7cde35e2c87f1907a2715fd2d01f05a901b35855', role: 'weights' },
    { name: 'group38-shard1of1', bytes: 12_288, sha256: 'f008795067a5c6d654c113c3c17c96db04b2a73f9246182c902eaccdd633b4e2', role: 'weights' },
    { name: 'group39-shard1of1', bytes: 768, sha256: 'd45475bd4af1c142501fd3df402f4d14fab9129d549a6b2ac07dd5c6f0751d91', role: 'weights' },
    { name: 'group40-shard1of1', bytes: 18_432, sha256: '06e63442b82f9a9ee53c6623b9f075aaa92a286c35d8f37ec6b6e58ff6e4eec1', role: 'weights' },
    { name: 'group41-shard1of1', bytes: 1_536, sha256: '1a31e532f7918b7c2abbf86bd4ba83357af06e13f9eecb431fcbfd43739be3e9', role: 'weights' },
    { name: 'group42-shard1of1', bytes: 36_864, sha256: '6aee67f861139d308f8c3edbd83ae1efa398ee83108b5004bab57984e7128e66', role: 'weights' },
    { name: 'group43-shard1of1', bytes: 1_536, sha256: 'a9e74c49739a0a7b8668aa82ead0da33dc5ae5adab8fd30edbb64b9bfca341a5', role: 'weights' },
    { name: 'group44-shard1of1', bytes: 73_728, sha256: '1a06e526debe9ece45ab3d5171ba0a82270187982cf74bb3f3e13bfb07e815d8', role: 'weights' },
    { name: 'group45-shard1of1', bytes: 3_072, sha256: '9bf6693d9abd3272add6936b9582bdef043c5be9ffa3c34d0f55dd45d9c3eaa1', role: 'weights' },
    { name: 'group46-shard1of1', bytes: 147_456, sha256: 'cf5d3fa48f73a4e96fabf52369c4fd3944c66c174f9a0f0c32a74f85a652496d', role: 'weights' },
    { name: 'group47-shard1of1', bytes: 3_072, sha256: 'e74b658997342f16d95bb370052f62116150f5954c71f5f0bfc39b487016177f', role: 'weights' },
    { name: 'group48-shard1of1', bytes: 294_912, sha256: '76df2c6b07777e7ac2fd2ccd50b72e5b7537a068198f896c458ef131c785f4c6', role: 'weights' },
    { name: 'group49-shard1of1', bytes: 6_144, sha256: '9ffa2bc5a5dd357e2c224f390524508ed6eb7579e440ae70785167357da84c2a', role: 'weights' },
    { name: 'group50-shard1of1', bytes: 589_824, sha256: '88858e48f4a3c8d953e281462f32971340d671f2e08e09be26ba140647264b0b', role: 'weights' },
    { name: 'group51-shard1of1', bytes: 6_144, sha256: '3279efe417072ed8a64ee5bfd6122bf7bb952a846acec74d51af5c2938946f6f', role: 'weights' },
    { name: 'group52-shard1of1', bytes: 589_824, sha256: '99bcebafa9bcb17c3045f9fb66bb956684a117a229c2b7ebb6b69800e1d0e158', role: 'weights' },
    { name: 'group53-shard1of1', bytes: 6_144, sha256: 'fb009466c7f22322df570d32f3d69d025c1450ed3226970939f69766ebeb05a5', role: 'weights' },
    { name: 'group54-shard1of1', bytes: 589_824, sha256: 'ec11ebd99a65e90d0f8a9e93d6edaa6473351553802c56d9869e433966e9b88b', role: 'weights' },
    { name: 'group55-shard1of1', bytes: 6_144, sha256: '510435e7b0a4d458a47f9cfd024ef44bf9a4c5b64add54d35f4523bcda7a8efa', role: 'weights' },
    { name: 'LICENSE', bytes: 11_361, sha256: 'f9946796a8a5bd5981565142fa42e3b0cc36aef6f80e86beaf5905b3c0fef1b5', role: 'licence', optional: true },
    { name: 'metadata.json', bytes: 23_688, sha256: '99d6587c6effe11752dc089ab4daf8af60a4675fef42975ec20cd7c0779bab80', role: 'labels', optional: true },
    ],
    featureLayer: 'conv_pw_13_relu',
    featureShape: [7, 7, 768],
    groups: [
      { name: 'early (conv1, blocks 1-5, 28x28)', lastLayer: 'conv_pw_5_relu' },
      { name: 'middle (blocks 6-8, 14x14)', lastLayer: 'conv_pw_8_relu' },
      { name: 'late (blocks 9-11, 14x14)', lastLayer: 'conv_pw_11_relu' },
      { name: 'final (blocks 12-13, 7x7)', lastLayer: 'conv_pw_13_relu' }
    ],
    classifier: { layer: 'reshape_2', classes: 1000, labelsFile: 'metadata.json' },
    params: 2_601_976
  },
  {
    id: 'nsfwjs_mobilenet_v2',
    displayName: 'MobileNetV2 from nsfwjs (offline fallback)',
    description:
      'Offline fallback that installs with npm alone: the MobileNetV2 inside the nsfwjs package. Its blocks 0-10 are ' +
      'ImageNet weights; blocks 11-16 were retrained to detect NSFW images, so its features suit photos less well.',
    caveat: 'Fallback only: 77% linear probe on hymenoptera against 94% for MobileNetV2. Prefer a downloaded backbone.',
    inputSize: [224, 224],
    preprocessing: { resize: 'center-crop', scale: 1 / 255, offset: 0, channels: 'RGB' },
    licence: { name: 'MIT (nsfwjs package)', url: 'https://github.com/infinitered/nsfwjs/blob/master/LICENSE' },
    source: {
      kind: 'npm-fallback',
      package: 'nsfwjs',
      folder: 'dist/models/mobilenet_v2',
      origin:
        'nsfwjs 4.4.0 (npm, MIT): a Keras MobileNetV2 1.0/224 with uint8-quantized weights, shipped as JS files ' +
        'wrapping the model JSON and base64 weights'
    },
    files: [
    { name: 'model.min.js', bytes: 106_679, sha256: 'c32f104fd562b08cdff5ed69dfe1209643afa47e792fb12751d2949aa61a397a', role: 'model' },
    { name: 'group1-shard1of1.min.js', bytes: 3_493_394, sha256: 'ef2e0a63f7d2c4960b37b024b669313f65d3c45cd59e9042636c55b39de53517', role: 'weights' },
    ],
    featureLayer: 'out_relu',
    featureShape: [7, 7, 1280],
    groups: [
      { name: 'early (stem, blocks 0-5, 28x28)', lastLayer: 'block_5_add' },
      { name: 'middle (blocks 6-12, 14x14)', lastLayer: 'block_12_add' },
      { name: 'late (blocks 13-15, 7x7)', lastLayer: 'block_15_add' },
      { name: 'final (block 16, 1x1 conv to 1280)', lastLayer: 'out_relu' }
    ],
    params: 2_619_461
  }
]

export function builtinBackbone(id: string): BackboneSpec | undefined {
  return BUILTIN_BACKBONES.find((spec) => spec.id === id)
}
