// Native TF.js backends are optional dependencies: they fail to install where libtensorflow
// cannot be downloaded, so the code imports them dynamically and must compile without them.
declare module '@tensorflow/tfjs-node-gpu'
declare module '@tensorflow/tfjs-node'
