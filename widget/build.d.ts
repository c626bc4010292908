/** Replaced by the build (widget/build.mjs): chunk name -> its versioned file under embed/. */
declare const KOMMENTAR_CHUNKS: Record<string, string> | undefined;
