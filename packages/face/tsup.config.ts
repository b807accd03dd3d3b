import { packageBuild } from '../../tsup.package';

export default packageBuild(['src/index.ts', 'src/browser.ts', 'src/pool-worker.ts']);
