// The frame around a pane. The focused pane gets a double border, so focus is
// visible without colour (NO_COLOR), and its title in bold.
import { Box, Text } from 'ink';
import type { ReactNode } from 'react';
import type { Theme } from '../theme.ts';

export function Pane(props: { title: string; focused: boolean; width: number; height: number; theme: Theme; children: ReactNode }) {
  const color = props.focused ? props.theme.c('focus') : props.theme.c('dim');
  return (
    <Box
      flexDirection="column"
      width={props.width}
      height={props.height}
      borderStyle={props.focused ? 'double' : 'single'}
      {...(color ? { borderColor: color } : {})}
      // Rows past the pane's height are cut; nothing is cut across: every row is a Text that Ink
      // already truncates to the pane's width (wrap="truncate-end"). Clipping across as well
      // (overflow="hidden") re-tokenized every line of every pane in every frame (Ink's
      // sliceAnsi), ~120 ms of the UI thread's CPU while a 1,000,000-packet capture was read.
      overflowY="hidden"
    >
      <Text bold={props.focused} wrap="truncate-end">
        {props.title}
      </Text>
      {props.children}
    </Box>
  );
}

/** Inner size of a pane of the given outer size (border and title line taken off). */
export const inner = (width: number, height: number): { width: number; height: number } => ({
  width: Math.max(1, width - 2),
  height: Math.max(0, height - 3),
});
