/**
 * The part of the JS WebAssembly API the execution layer uses. TypeScript declares it only in the
 * DOM libraries and @types/node 20 not at all, while the project compiles without DOM types.
 *
 * @see https://webassembly.github.io/spec/js-api/
 */
declare namespace WebAssembly {
  type BinarySource = ArrayBuffer | ArrayBufferView
  type ExportValue = ((...args: never[]) => unknown) | Global | Memory | Table
  type ImportValue = ExportValue | number | bigint
  type Imports = Record<string, Record<string, ImportValue>>

  interface ModuleExportDescriptor {
    name: string
    kind: 'function' | 'table' | 'memory' | 'global' | 'tag'
  }

  class Module {
    constructor(bytes: BinarySource)
    static exports(module: Module): ModuleExportDescriptor[]
    static customSections(module: Module, sectionName: string): ArrayBuffer[]
  }

  class Instance {
    constructor(module: Module, imports?: Imports)
    readonly exports: Record<string, ExportValue>
  }

  class Memory {
    constructor(descriptor: { initial: number; maximum?: number })
    readonly buffer: ArrayBuffer
    grow(deltaPages: number): number
  }

  class Global {
    constructor(descriptor: { value: 'i32' | 'i64' | 'f32' | 'f64'; mutable?: boolean }, value?: number | bigint)
    value: unknown
  }

  class Table {
    readonly length: number
  }

  class CompileError extends Error {}
  class LinkError extends Error {}
  class RuntimeError extends Error {}

  function compile(bytes: BinarySource): Promise<Module>
  function validate(bytes: BinarySource): boolean
}
