import { ErrorCode } from '@parley/shared';
import { authHeaders } from '../auth.js';
import {
  abortedUpload,
  lostUpload,
  readUploadAnswer,
  uploadForm,
  uploadUrl,
  type UploadResult,
  type Uploader,
} from '../upload.js';

/** The part of XMLHttpRequest used here (the package is built without the DOM library's types). */
interface Xhr {
  open(method: string, url: string): void;
  setRequestHeader(name: string, value: string): void;
  send(body: FormData): void;
  abort(): void;
  withCredentials: boolean;
  readonly status: number;
  readonly responseText: string;
  getResponseHeader(name: string): string | null;
  upload: {
    onprogress: ((event: { lengthComputable: boolean; loaded: number; total: number }) => void) | null;
  };
  onload: (() => void) | null;
  onerror: (() => void) | null;
  ontimeout: (() => void) | null;
  onabort: (() => void) | null;
}

/**
 * Uploads with XMLHttpRequest, the one browser API that reports how much of a request body went out
 * (`upload.onprogress`; fetch cannot, short of streaming bodies that need HTTP/2). With `browser`
 * auth the page's cookie goes along (`withCredentials`); a bearer token goes in its header.
 */
export const xhrUploader: Uploader = {
  upload({ url, auth, kind, file, fileName, signal, onProgress }) {
    return new Promise<UploadResult>((resolve) => {
      if (signal.aborted) {
        resolve(abortedUpload());
        return;
      }
      const XhrClass = (globalThis as { XMLHttpRequest?: new () => Xhr }).XMLHttpRequest;
      if (!XhrClass) {
        resolve({
          ok: false,
          error: { code: ErrorCode.Internal, message: 'XMLHttpRequest is not available here' },
        });
        return;
      }
      const xhr = new XhrClass();
      xhr.open('POST', uploadUrl(url, kind));
      xhr.withCredentials = auth.kind === 'browser';
      for (const [name, value] of Object.entries(authHeaders(auth))) xhr.setRequestHeader(name, value);
      const stop = () => xhr.abort();
      signal.addEventListener('abort', stop, { once: true });
      const finish = (result: UploadResult) => {
        signal.removeEventListener('abort', stop);
        resolve(result);
      };
      xhr.upload.onprogress = (event) => {
        if (event.lengthComputable) onProgress(event.loaded, event.total);
      };
      xhr.onload = () => {
        if (xhr.status === 201) onProgress(file.size, file.size);
        finish(readUploadAnswer(xhr.status, xhr.responseText, xhr.getResponseHeader('retry-after')));
      };
      xhr.onerror = () => finish(lostUpload('the upload lost its connection'));
      xhr.ontimeout = () => finish(lostUpload('the upload timed out'));
      xhr.onabort = () => finish(abortedUpload());
      onProgress(0, file.size);
      xhr.send(uploadForm(file, fileName));
    });
  },
};
