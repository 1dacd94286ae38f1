// audiokit Recorder: the browser half of audiokit.recorder.Recorder (an anywidget ESM, no build).
//
// Record: raw PCM from the microphone through an AudioWorklet (loaded from a Blob URL; a
// ScriptProcessor only where AudioWorklet is missing), downmixed to mono at the AudioContext's
// own rate, sent to the kernel as one exact Float32 buffer with the rate beside it. The kernel
// resamples, draws the waveform and log-mel spectrogram and sends back a PNG and a WAV.
// Listen: the same capture, sent as short chunks (custom messages) until pressed again.
// Every failure is written into the widget in plain words; nothing is thrown at the page.

const WORKLET = `
class AudiokitCapture extends AudioWorkletProcessor {
  process(inputs) {
    const input = inputs[0];
    if (input && input.length && input[0].length) {
      const n = input[0].length, mono = new Float32Array(n);
      for (const ch of input) for (let i = 0; i < n; i++) mono[i] += ch[i] / input.length;
      this.port.postMessage(mono, [mono.buffer]);
    }
    return true;
  }
}
registerProcessor("audiokit-capture", AudiokitCapture);
`;

// Raw signal: no echo cancellation, noise suppression or automatic gain.
const CONSTRAINTS = {
  audio: { echoCancellation: false, noiseSuppression: false, autoGainControl: false,
           channelCount: { ideal: 1 } },
};

function precheck() {
  const vscode = typeof acquireVsCodeApi === "function" || /vscode/i.test(navigator.userAgent);
  if (vscode) {
    return "VS Code notebooks give widgets no microphone. Open this notebook in JupyterLab " +
           "or Jupyter Notebook in a browser to record.";
  }
  if (!window.isSecureContext) {
    return `The browser only lets a page use the microphone over https or on this machine ` +
           `(localhost / 127.0.0.1). This page is ${location.origin}: open it through https, ` +
           `or through an SSH tunnel to localhost.`;
  }
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    return "This browser gives pages no microphone access (navigator.mediaDevices is missing).";
  }
  if (!(window.AudioContext || window.webkitAudioContext)) {
    return "This browser has no Web Audio (AudioContext), which recording needs.";
  }
  return null;
}

function describe(err) {
  const name = (err && err.name) || "";
  if (name === "NotAllowedError" || name === "SecurityError" || name === "PermissionDeniedError") {
    return "The browser was not allowed to use the microphone. Allow it for this page (the " +
           "microphone icon in the address bar, or the site settings) and press Record again.";
  }
  if (name === "NotFoundError" || name === "DevicesNotFoundError" || name === "OverconstrainedError") {
    return "No microphone was found. Plug one in or choose an input in the system's sound " +
           "settings, then press Record again.";
  }
  if (name === "NotReadableError" || name === "TrackStartError" || name === "AbortError") {
    return "The microphone could not be opened: another program may be using it.";
  }
  return "Recording failed: " + ((err && err.message) || String(err));
}

function megabytes(n) { return (n / 1e6).toFixed(1) + " MB"; }

// Start capturing; must be called synchronously inside a click handler (autoplay policy).
// onReady(rate) runs before the first samples; onSamples(Float32Array) for each block.
function startCapture(onReady, onSamples) {
  const Ctx = window.AudioContext || window.webkitAudioContext;
  const ctx = new Ctx();
  const resumed = ctx.resume();
  let stream = null, source = null, node = null, sink = null;
  const stop = () => {
    try { if (source) source.disconnect(); if (node) node.disconnect(); } catch (e) { /* gone */ }
    if (node && node.port) node.port.onmessage = null;
    if (stream) stream.getTracks().forEach((t) => t.stop());
    if (ctx.state !== "closed") ctx.close().catch(() => {});
  };
  const ready = (async () => {
    try {
      if (onReady(ctx.sampleRate) === false) { stop(); return null; }
      stream = await navigator.mediaDevices.getUserMedia(CONSTRAINTS);
      await resumed;
      source = ctx.createMediaStreamSource(stream);
      sink = ctx.createGain();
      sink.gain.value = 0;               // pulled by the destination, but silent
      sink.connect(ctx.destination);
      let method = "AudioWorklet";
      if (ctx.audioWorklet && typeof AudioWorkletNode !== "undefined") {
        const url = URL.createObjectURL(new Blob([WORKLET], { type: "application/javascript" }));
        try { await ctx.audioWorklet.addModule(url); } finally { URL.revokeObjectURL(url); }
        node = new AudioWorkletNode(ctx, "audiokit-capture",
                                    { numberOfInputs: 1, numberOfOutputs: 1, outputChannelCount: [1] });
        node.port.onmessage = (e) => onSamples(e.data);
      } else {
        method = "ScriptProcessor";
        node = ctx.createScriptProcessor(4096, 2, 1);
        node.onaudioprocess = (e) => {
          const b = e.inputBuffer, n = b.length, mono = new Float32Array(n);
          for (let c = 0; c < b.numberOfChannels; c++) {
            const ch = b.getChannelData(c);
            for (let i = 0; i < n; i++) mono[i] += ch[i] / b.numberOfChannels;
          }
          onSamples(mono);
        };
      }
      source.connect(node);
      node.connect(sink);
      return { rate: ctx.sampleRate, method, stop };
    } catch (err) {
      stop();
      throw err;
    }
  })();
  return ready;
}

function concat(blocks, n) {
  const out = new Float32Array(n);   // its own buffer, exactly n samples
  let k = 0;
  for (const b of blocks) {
    if (k >= n) break;
    const take = Math.min(b.length, n - k);
    out.set(take === b.length ? b : b.subarray(0, take), k);
    k += take;
  }
  return out;
}

function blobUrl(view, type, old) {
  if (old) URL.revokeObjectURL(old);
  if (!view || !view.byteLength) return null;
  return URL.createObjectURL(new Blob([view], { type }));
}

function render({ model, el }) {
  el.classList.add("audiokit-recorder");
  el.innerHTML = `
    <div class="audiokit-recorder-controls" style="display:flex;gap:8px;align-items:center">
      <button class="audiokit-record jupyter-button mod-primary" type="button">Record</button>
      <button class="audiokit-listen jupyter-button" type="button" style="display:none">Listen</button>
      <span class="audiokit-status"></span>
    </div>
    <div class="audiokit-error" role="alert"
         style="display:none;color:#b00020;margin:4px 0;max-width:60em"></div>
    <img class="audiokit-figure" alt="waveform and log-mel spectrogram of the recording"
         style="display:none;max-width:100%">
    <audio class="audiokit-player" controls style="display:none"></audio>`;
  const recordBtn = el.querySelector(".audiokit-record");
  const listenBtn = el.querySelector(".audiokit-listen");
  const status = el.querySelector(".audiokit-status");
  const errorBox = el.querySelector(".audiokit-error");
  const img = el.querySelector(".audiokit-figure");
  const player = el.querySelector(".audiokit-player");
  let busy = false, listening = null, figUrl = null, clipUrl = null;

  const showError = (msg) => {
    errorBox.textContent = msg;
    errorBox.style.display = msg ? "block" : "none";
    if (model.get("error") !== msg) { model.set("error", msg); model.save_changes(); }
  };
  const setStatus = (msg) => { status.textContent = msg; };
  const tooLong = (seconds, rate) => {
    const bytes = Math.round(seconds * rate) * 4, limit = model.get("max_message_bytes");
    if (bytes <= limit) return null;
    const most = Math.floor(limit / 4 / rate);
    return `A ${seconds} s recording at ${rate} Hz is ${megabytes(bytes)} of samples, more than ` +
           `the ${megabytes(limit)} one notebook message can carry: record at most ${most} s.`;
  };

  const record = () => {
    if (busy || listening) return;
    const problem = precheck();
    if (problem) { showError(problem); return; }
    const seconds = model.get("seconds");
    let need = 0, got = 0, done = false, rate = 0;
    const blocks = [];
    busy = true;
    recordBtn.disabled = true;
    showError("");
    setStatus("Starting the microphone…");
    let capture = null;
    const finish = () => {
      done = true;
      el.dataset.recordEndMs = String(performance.now());
      if (capture) capture.stop();
      const pcm = concat(blocks, need);
      model.set("browser_sample_rate", rate);
      model.set("pcm", new DataView(pcm.buffer.slice(0)));  // an exact copy, never a wider view
      model.save_changes();
      setStatus(`Recorded ${seconds} s at ${rate} Hz; the kernel is processing it…`);
      busy = false;
      recordBtn.disabled = false;
    };
    startCapture(
      (r) => {
        rate = r;
        const msg = tooLong(seconds, r);
        if (msg) { showError(msg); return false; }
        need = Math.round(seconds * r);
        return true;
      },
      (samples) => {
        if (done) return;
        blocks.push(samples);
        got += samples.length;
        setStatus(`Recording… speak now (${(got / rate).toFixed(1)} / ${seconds} s)`);
        if (got >= need) finish();
      },
    ).then((c) => {
      capture = c;
      if (!c) { busy = false; recordBtn.disabled = false; setStatus(""); }
      else if (done) c.stop();
    }).catch((err) => {
      busy = false;
      recordBtn.disabled = false;
      setStatus("");
      showError(describe(err));
    });
  };

  const listen = () => {
    if (busy) return;
    if (listening) {
      const l = listening;
      listening = null;
      if (l.capture) l.capture.stop();
      l.flush(true);
      listenBtn.textContent = "Listen";
      listenBtn.classList.remove("mod-active");
      recordBtn.disabled = false;
      setStatus("Stopped listening.");
      model.set("listening", false);
      model.save_changes();
      return;
    }
    const problem = precheck();
    if (problem) { showError(problem); return; }
    showError("");
    const l = { blocks: [], got: 0, rate: 0, capture: null };
    l.flush = (all) => {
      const chunk = Math.max(1, Math.round(model.get("chunk_seconds") * l.rate));
      while (l.got >= chunk || (all && l.got > 0)) {
        const n = Math.min(chunk, l.got);
        const pcm = concat(l.blocks, n);
        // keep what is left after the first n samples
        const rest = concat(l.blocks, l.got).subarray(n);
        l.blocks = rest.length ? [rest.slice()] : [];
        l.got = rest.length;
        model.send({ type: "chunk", rate: l.rate }, undefined, [pcm.buffer]);
      }
    };
    listening = l;
    listenBtn.textContent = "Stop listening";
    listenBtn.classList.add("mod-active");
    recordBtn.disabled = true;
    setStatus("Starting the microphone…");
    startCapture(
      (r) => { l.rate = r; return true; },
      (samples) => {
        if (listening !== l) return;
        l.blocks.push(samples);
        l.got += samples.length;
        l.flush(false);
      },
    ).then((c) => {
      l.capture = c;
      if (listening !== l) { c.stop(); return; }
      model.set("listening", true);
      model.save_changes();
      setStatus(`Listening at ${c.rate} Hz… press again to stop.`);
    }).catch((err) => {
      listening = null;
      listenBtn.textContent = "Listen";
      recordBtn.disabled = false;
      setStatus("");
      showError(describe(err));
    });
  };

  const sync = () => {
    recordBtn.textContent = model.get("label") || "Record";
    listenBtn.style.display = model.get("listen_button") ? "" : "none";
    const err = model.get("error");
    errorBox.textContent = err;
    errorBox.style.display = err ? "block" : "none";
    const msg = model.get("message");
    if (msg && !busy && !listening) setStatus(msg);
  };
  const showFigure = () => {
    figUrl = blobUrl(model.get("figure"), "image/png", figUrl);
    if (figUrl) { img.src = figUrl; img.style.display = "block"; }
  };
  const showClip = () => {
    clipUrl = blobUrl(model.get("clip"), "audio/wav", clipUrl);
    if (clipUrl) { player.src = clipUrl; player.style.display = "block"; }
  };
  recordBtn.addEventListener("click", record);
  listenBtn.addEventListener("click", listen);
  for (const name of ["label", "listen_button", "error", "message"]) model.on(`change:${name}`, sync);
  model.on("change:figure", showFigure);
  model.on("change:clip", showClip);
  sync();
  showFigure();
  showClip();
  return () => {
    if (listening && listening.capture) listening.capture.stop();
    listening = null;
    if (figUrl) URL.revokeObjectURL(figUrl);
    if (clipUrl) URL.revokeObjectURL(clipUrl);
  };
}

export default { render };
