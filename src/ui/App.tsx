// The podpath UI: header with the panes, the trace list beside the pane in use
// (or that pane alone, full width, on narrow terminals), how the path ends, and
// a status line. State lives in one reducer (state.ts); each pane listens to
// keys only while focused; the keys that work everywhere are handled here.
import { Box, Text, useApp, useInput, useStdout } from 'ink';
import { useEffect, useReducer } from 'react';
import type { Topology } from '../topology/model.ts';
import type { TraceResult } from '../trace/model.ts';
import { CapturePane } from './components/CapturePane.tsx';
import { DetailPane } from './components/DetailPane.tsx';
import { ExplainPane } from './components/ExplainPane.tsx';
import { HelpOverlay, PathPicker, WarningsOverlay } from './components/Overlays.tsx';
import { Pane, inner } from './components/Pane.tsx';
import { EndingLine, StatusLine } from './components/StatusLine.tsx';
import { TopologyPane } from './components/TopologyPane.tsx';
import { TracePane } from './components/TracePane.tsx';
import { fit, s } from './format.ts';
import { keyPresses } from './input.ts';
import { initialState, uiReducer, type PaneId, type UiAction, type UiState } from './state.ts';
import type { Theme } from './theme.ts';

export interface AppProps {
  trace: TraceResult;
  topology: Topology;
  /** Warnings from the inputs (topology and trace), one line each. */
  warnings: string[];
  theme: Theme;
  /** Starts streaming the capture into the UI; returns a function that stops it. */
  startCapture?: (dispatch: (a: UiAction) => void) => () => void;
  /** Starts the capture explainer (explain-progress / explain-done actions); returns a function that stops it. */
  startExplain?: (dispatch: (a: UiAction) => void) => () => void;
  /** Writes the HTML report of the trace (and the explanation when it is done); resolves to the file written. */
  writeReport?: () => Promise<string>;
  /** Told how the UI ended (q, or Ctrl-C as an interruption) just before Ink exits. */
  onExit?: (how: 'quit' | 'interrupted') => void;
}

const paneNames: Record<PaneId, string> = { trace: 'Trace', detail: 'Detail', topology: 'Topology', capture: 'Capture', explain: 'Explain' };
/** Below this width the side pane takes the whole width when focused. */
const SPLIT_ALWAYS = 120;
/** Below this width even the trace pane takes the whole width when focused. */
const SPLIT_MIN = 72;

/** Where the selected packet's capture was taken, once the explainer has placed it (the same words as Explain's). */
function capturePlace(state: UiState): string | undefined {
  const selected = state.capture?.rows[state.capture.selected];
  return selected ? state.explain?.view?.places[selected.file] : undefined;
}

export function App(props: AppProps) {
  const { stdout } = useStdout();
  const { exit } = useApp();
  const [state, dispatch] = useReducer(uiReducer, undefined, () =>
    initialState(props.trace, { capture: props.startCapture !== undefined, explain: props.startExplain !== undefined, columns: stdout.columns || 80, rows: stdout.rows || 24 }),
  );

  useEffect(() => {
    // Ink redraws on resize; the layout needs the new size too.
    const onResize = (): void => dispatch({ type: 'resize', columns: stdout.columns || 80, rows: stdout.rows || 24 });
    stdout.on('resize', onResize);
    return () => {
      stdout.off('resize', onResize);
    };
  }, [stdout]);

  useEffect(() => props.startCapture?.(dispatch), [props.startCapture]);
  useEffect(() => props.startExplain?.(dispatch), [props.startExplain]);

  // One listener for the whole UI; the reducer decides what a key means for the
  // focused pane (keys.ts explains why keys are not routed by per-pane listeners).
  // Keys that arrived in one write are pressed one after the other (input.ts).
  useInput((input, key) => {
    for (const press of keyPresses(input, key)) dispatch({ type: 'key', ...press });
  });
  useEffect(() => {
    if (!state.quit) return;
    props.onExit?.(state.quit);
    exit();
  }, [state.quit, exit]);
  const reportRequest = state.report?.status === 'writing' ? state.report.request : 0;
  useEffect(() => {
    if (reportRequest === 0) return;
    if (!props.writeReport) {
      dispatch({ type: 'report-error', error: 'no report writer' });
      return;
    }
    props.writeReport().then(
      (file) => dispatch({ type: 'report-written', file }),
      (error: unknown) => dispatch({ type: 'report-error', error: error instanceof Error ? error.message : String(error) }),
    );
  }, [reportRequest]);

  const overlay = state.help || state.warnings || state.picker.open;
  const { columns, rows } = state;
  // Ink clears the whole screen when a frame is as tall as the terminal: stay one short.
  const mainHeight = Math.max(6, rows - 4);
  const path = props.trace.paths[state.path];
  const hop = path?.hops[state.hop];
  const panesActive = !overlay && !state.search.editing;
  const split = columns >= SPLIT_ALWAYS || state.focus === 'trace';
  // Too narrow for two panes: the focused one alone (the trace list when it has focus).
  const traceAlone = state.focus === 'trace' && columns < SPLIT_MIN;
  // 36 columns hold "    192.168.1.7 → 192.168.2.12:80" inside the border.
  const traceWidth = traceAlone ? columns : split ? Math.min(44, Math.max(36, Math.floor(columns * 0.42))) : 0;
  const sideWidth = columns - traceWidth;

  // Pane names padded when they leave room for the query, unpadded when five panes
  // (with --capture) share 80 columns, initials on very narrow terminals.
  const padded = state.panes.map((pane, i) => ` ${i + 1} ${paneNames[pane]} `);
  const paneLabels =
    8 + padded.join('').length <= columns - 20
      ? padded
      : columns >= 64
        ? state.panes.map((pane, i) => `${i === 0 ? '' : ' '}${i + 1} ${paneNames[pane]}`)
        : state.panes.map((pane, i) => ` ${i + 1}${paneNames[pane].slice(0, 1)} `);
  const header = (
    <Box>
      <Text bold>podpath </Text>
      {paneLabels.map((label, i) => {
        const pane = state.panes[i]!;
        return (
          <Text key={pane} inverse={state.focus === pane} bold={state.focus === pane}>
            {label}
          </Text>
        );
      })}
      <Text {...(props.theme.c('dim') ? { color: props.theme.c('dim') as string } : {})} wrap="truncate-end">
        {fit(`  ${s(props.trace.query.from)} → ${s(props.trace.query.to)}`, Math.max(0, columns - 8 - paneLabels.join('').length))}
      </Text>
    </Box>
  );

  let main;
  if (overlay) {
    const size = inner(columns, mainHeight);
    const title = state.help ? 'Help' : state.warnings ? 'Warnings' : 'Paths';
    main = (
      <Pane title={title} focused width={columns} height={mainHeight} theme={props.theme}>
        {state.help ? (
          <HelpOverlay theme={props.theme} {...size} />
        ) : state.warnings ? (
          <WarningsOverlay warnings={props.warnings} theme={props.theme} {...size} />
        ) : (
          <PathPicker paths={props.trace.paths} topology={props.topology} index={state.picker.index} current={state.path} theme={props.theme} {...size} />
        )}
      </Pane>
    );
  } else {
    const sideSize = inner(sideWidth, mainHeight);
    const side = state.side;
    const sideFocused = state.focus === side;
    const hopNumber = state.hop + 1;
    const hopCount = path?.hops.length ?? 0;
    const sideTitle =
      side === 'detail'
        ? `Detail · hop ${hopNumber}/${hopCount}${hop ? ` ${s(hop.at)} ${s(hop.interface)}` : ''}`
        : side === 'topology'
          ? 'Topology'
          : side === 'explain'
            ? `Explain · ${state.explain?.view ? `${state.explain.view.entries.filter((e) => e.id).length} connections` : 'running'}`
            : fit(`Capture${capturePlace(state) ? ` · at ${capturePlace(state)}` : ''}`, sideSize.width);
    main = (
      <Box>
        {split && (
          <Pane title={`Trace · ${hopCount} hops`} focused={state.focus === 'trace'} width={traceWidth} height={mainHeight} theme={props.theme}>
            <TracePane
              paths={props.trace.paths}
              pathIndex={state.path}
              hopIndex={state.hop}
              focused={panesActive && state.focus === 'trace'}
              theme={props.theme}
              {...inner(traceWidth, mainHeight)}
            />
          </Pane>
        )}
        {!traceAlone && (
          <Pane title={sideTitle} focused={sideFocused} width={sideWidth} height={mainHeight} theme={props.theme}>
            {side === 'detail' && (
              <DetailPane hop={hop} stepIndex={state.step} expanded={state.expanded} focused={panesActive && sideFocused} theme={props.theme} {...sideSize} />
            )}
            {side === 'topology' && (
              <TopologyPane topology={props.topology} hop={hop} hopNumber={hopNumber} focused={panesActive && sideFocused} theme={props.theme} {...sideSize} />
            )}
            {side === 'capture' && state.capture && (
              <CapturePane capture={state.capture} focused={panesActive && sideFocused} theme={props.theme} {...sideSize} />
            )}
            {side === 'explain' && state.explain && (
              <ExplainPane explain={state.explain} focused={panesActive && sideFocused} theme={props.theme} {...sideSize} />
            )}
          </Pane>
        )}
      </Box>
    );
  }

  return (
    <Box flexDirection="column" width={columns}>
      {header}
      {main}
      <EndingLine path={path} theme={props.theme} width={columns} />
      <StatusLine warnings={props.warnings.length} capture={state.capture} explain={state.explain} search={state.search} report={state.report} theme={props.theme} width={columns} />
    </Box>
  );
}
