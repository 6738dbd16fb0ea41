// The child of serverProcess.ts: a studio and its browser-mode server, the port on stdout.
import { startServer } from '../../src/main/server/server'
import { Studio } from '../../src/main/studio/studio'

const [renderer, token] = process.argv.slice(2)
const studio = new Studio()
void startServer(studio, { rendererDir: renderer!, token: token! }).then((server) => {
  process.stdout.write(`port ${server.port}\n`)
  process.once('SIGTERM', () => {
    void studio.close()
    void server.close().then(() => process.exit(0))
  })
})
