import { Command, CommanderError } from 'commander'
import { registerEngineCommands } from './cli/engine'
import { registerExportCommand } from './cli/export'
import { registerLibraryCommands } from './cli/library'
import { registerModelCommands } from './cli/models'
import { registerServeCommand } from './cli/serve'
import { registerQualityCommands } from './cli/quality'
import { registerTrainingCommands } from './cli/training'

/** `thaw`: the studio on the command line. Every command runs the same contract as the app. */
export async function main(argv: string[]): Promise<void> {
  const program = new Command()
    .name('thaw')
    .description('Thaw Studio: a folder of pictures to a deployable image classifier')
    .showHelpAfterError('(add --help for usage)')
    .exitOverride()
  registerLibraryCommands(program)
  registerEngineCommands(program)
  registerTrainingCommands(program)
  registerExportCommand(program)
  registerModelCommands(program)
  registerServeCommand(program)
  registerQualityCommands(program)
  try {
    await program.parseAsync(argv)
  } catch (err) {
    if (err instanceof CommanderError) process.exit(err.exitCode)
    throw err
  }
}

if (require.main === module) {
  void main(process.argv)
}
