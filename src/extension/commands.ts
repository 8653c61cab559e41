// Every command id of the extension, in one table: features register and call commands through
// it, never through string literals. package.json stays the manifest (titles, icons, menus); a unit
// test (test/unit/extension-commands.test.ts) fails when this table and contributes.commands differ.
// No imports: the unit test reads this file without VS Code.

export const Command = {
  build: 'ebpfWorkbench.build',
  buildActiveFile: 'ebpfWorkbench.buildActiveFile',
  generateVmlinux: 'ebpfWorkbench.generateVmlinux',
  showOutput: 'ebpfWorkbench.showOutput',
  explainVerifierLog: 'ebpfWorkbench.explainVerifierLog',
  showVerifierLog: 'ebpfWorkbench.showVerifierLog',
  loadObject: 'ebpfWorkbench.loadObject',
  unloadObject: 'ebpfWorkbench.unloadObject',
  countMapElements: 'ebpfWorkbench.countMapElements',
  refreshTree: 'ebpfWorkbench.maps.refresh',
  enableStats: 'ebpfWorkbench.maps.enableStats',
  disableStats: 'ebpfWorkbench.maps.disableStats',
  showMapContents: 'ebpfWorkbench.maps.showContents',
  copyId: 'ebpfWorkbench.maps.copyId',
  pin: 'ebpfWorkbench.maps.pin',
  unpin: 'ebpfWorkbench.maps.unpin',
  testRun: 'ebpfWorkbench.maps.testRun',
  retryTarget: 'ebpfWorkbench.targets.retry',
  addSshTarget: 'ebpfWorkbench.addSshTarget',
  removeSshTarget: 'ebpfWorkbench.removeSshTarget',
  showTrace: 'ebpfWorkbench.showTrace',
  showEvents: 'ebpfWorkbench.showEvents',
  loadAndAttach: 'ebpfWorkbench.loadAndAttach',
  attachObject: 'ebpfWorkbench.attachObject',
  attachProgram: 'ebpfWorkbench.attachProgram',
  detachLink: 'ebpfWorkbench.detachLink',
  pinLink: 'ebpfWorkbench.pinLink',
  showInstructions: 'ebpfWorkbench.showInstructions',
  stepThroughVerification: 'ebpfWorkbench.stepThroughVerification',
  stepperNext: 'ebpfWorkbench.stepper.next',
  stepperPrevious: 'ebpfWorkbench.stepper.previous',
  stepperJumpToError: 'ebpfWorkbench.stepper.jumpToError',
  stepperDefinition: 'ebpfWorkbench.stepper.definition',
  stepperClose: 'ebpfWorkbench.stepper.close',
  showHeatMap: 'ebpfWorkbench.showHeatMap',
  clearHeatMap: 'ebpfWorkbench.clearHeatMap',
  compareVerificationStats: 'ebpfWorkbench.compareVerificationStats',
} as const;

export type CommandId = (typeof Command)[keyof typeof Command];

/** VS Code's own commands the extension runs. */
export const BuiltinCommand = {
  showProblems: 'workbench.actions.view.problems',
  openSettings: 'workbench.action.openSettings',
  setContext: 'setContext',
} as const;

/** Context keys the extension sets (package.json `when` clauses read them). */
export const ContextKey = {
  statsEnabled: 'ebpfWorkbench.statsEnabled',
  /** The Verifier Steps view has a log to walk. */
  stepperActive: 'ebpfWorkbench.stepperActive',
} as const;
