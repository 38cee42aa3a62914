export * from './analysis';
export * from './analyze';
export * from './cloudwatch-source';
export * from './log-line';
export * from './normalize-query';
export * from './report';
export * from './trace';
export * from './verdict';
