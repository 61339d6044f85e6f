export { assertClose, type CloseOptions, type CloseReport, maxAbsDiff } from './close.js';
export { type FixtureTensor, fixturePath, fixtureTensorData, loadFixture } from './fixtures.js';
export { dot, type NumberSource, numericGrad, type Perturbable, toFloat64Array } from './numeric.js';
