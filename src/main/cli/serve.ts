import { ThawError } from '../errors'
import fs from 'node:fs'
import path from 'node:path'
import type { Command } from 'commander'
import { startServer } from '../server/server'
import { Studio } from '../studio/studio'
import { Output } from './output'

/** The built renderer: beside this file when bundled (out/main), in out/renderer from src/. */
export function rendererDir(): string {
  const candidates = [path.join(__dirname, '../renderer'), path.join(__dirname, '../../../out/renderer')]
  return candidates.find((d) => fs.existsSync(path.join(d, 'index.html'))) ?? candidates[1]!
}

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('start browser mode: the studio in a web page at http://127.0.0.1')
    .argument('[project]', 'project folder to open')
    .option('--port <n>', 'port (0 = any free port)', '0')
    .option('--host <host>', 'address to bind; anything but loopback exposes your files to the network', '127.0.0.1')
    .action(async (dir: string | undefined, o: { port: string; host: string }) => {
      const out = new Output(false)
      const studio = new Studio()
      try {
        const port = Number(o.port)
        if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ThawError('BAD_ARGS', `--port must be 0..65535, not ${o.port}`)
        if (dir) await studio.invoke('openProject', { path: dir })
        const server = await startServer(studio, { rendererDir: rendererDir(), host: o.host, port })
        out.info(`Thaw Studio (browser mode) at ${server.url}`)
        // the studio's close waits for the engine workers to stop before the process exits
        const stop = (): void => void Promise.all([studio.close(), server.close()]).then(() => process.exit(0))
        process.once('SIGINT', stop)
        process.once('SIGTERM', stop)
      } catch (err) {
        await studio.close()
        out.fail(err)
      }
    })
}
